"""DCAT-AP 3 and Gaia-X descriptions of the catalogue, and the settings they need.

config.py          the federation TOML -> ``FederationSettings`` (every problem at once;
                   placeholders of ``federation.example.toml`` warned about)
dcat.py            the DCAT API: streamed writers of dcat.ttl / dcat.jsonld (``reference=True``
                   for the rdflib path), ``validate_dcat`` against the SEMIC shapes
dcat_stream.py     pure: clusters and initiatives -> subject trees, one initiative at a time
dcat_reference.py  the rdflib ``Graph`` of the whole catalogue: the reference, and what is validated
dcat_vocab.py      namespaces, controlled-vocabulary terms, distributions, prefixes
gaiax.py           the Gaia-X 25.11 description and its check
"""
