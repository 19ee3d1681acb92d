"""ldt-catalog: the European Local Digital Twin ecosystem catalogue as NGSI-LD entities and linked data."""

__version__ = "0.1.0"
