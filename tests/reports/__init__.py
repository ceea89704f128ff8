"""Tests of planner's reports stage."""
