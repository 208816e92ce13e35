"""Numerical estimators for paper A (SPEC §A, §C): samplers, quadrature, minimizers, GD, TV."""
