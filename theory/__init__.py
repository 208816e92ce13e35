"""Symbolic derivations (sympy) behind the numerics, turned into numeric functions.

Each module derives one piece of mathematics from SPEC.md and exposes it both as a sympy
expression (for inspection and for the tests that re-derive it another way) and as a
vectorised numpy function produced by ``sympy.lambdify``.
"""
