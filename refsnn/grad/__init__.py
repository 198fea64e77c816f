"""Gradient methods: each file derives the same derivative of the same network another way."""
from .bptt import Grads, bptt
from .forward import rtrl

__all__ = ["Grads", "bptt", "rtrl"]
