"""The event contract of the Civic Events platform.

Modules, by what they hold:

- ``base``: ``Event``, the base model every event extends.
- ``topics``: Kafka topics as constants, with their producers and consumers.
- ``fields``, ``contact``: reusable field types and the ``Contact``/``Location`` models.
- ``intake``, ``waste``, ``planning``, ``payments``, ``cases``, ``residents``, ``notify``:
  the event models of each topic family.
- ``registry``: every event type by its CloudEvents ``type``.
- ``envelope``: CloudEvents 1.0 over Kafka (binary mode): ``encode`` and ``decode``.
- ``schemas``, ``compatibility``: JSON Schema export and the breaking-change check.
- ``record_schemas``: the JSON Schemas of the Kafka record that carries an event.

Nothing is imported here, so ``python -m civic_events.topics`` runs without warnings.
"""
