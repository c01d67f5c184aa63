"""dockvenv: migrate "virtualenv inside Docker" Python projects to lean wheel builds."""

__version__ = "0.1.0"
