"""Operator credentials and roles: admin, operator, viewer."""
