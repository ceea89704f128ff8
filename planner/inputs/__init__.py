"""Inputs: YAML read safely with positions, unit strings, the file schemas, and the frozen `Plan`.

Imports nothing from the other stages.
"""
