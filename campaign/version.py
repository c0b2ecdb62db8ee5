"""The platform's version, shown in the footer and by /healthz (a leaf module: anyone may import it)."""
__version__ = "0.1.0"
