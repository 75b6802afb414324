"""safetynet: dynamic monitoring of the low-income population and tiered social assistance."""

__version__ = "0.1.0"
__all__ = ["__version__"]
