"""A strict loopback NGSI-LD test broker (ETSI GS CIM 009 v1.8/1.9) for the ldt-catalog tests.

Modules: ``server`` (``TestBroker``, HTTP), ``api`` (entities, queries, batches), ``management``
(``/jsonldContexts``, subscriptions endpoints), ``subscriptions`` (matching and notification
delivery), ``store`` (tenants, stored entities, write semantics), ``entities`` (normalized <->
stored form), ``validate`` (payload rules), ``jsonld`` (contexts, term expansion/compaction),
``query`` (type expressions and ``q``), ``request`` (content negotiation), ``faults``
(fault injection), ``receiver`` (a notification endpoint for tests), ``fixtures`` (pytest).
"""

from tests.ngsild_broker.faults import Fault, FaultPlan
from tests.ngsild_broker.receiver import NotificationReceiver, ReceivedNotification
from tests.ngsild_broker.server import RecordedRequest, TestBroker

__all__ = [
    "Fault",
    "FaultPlan",
    "NotificationReceiver",
    "ReceivedNotification",
    "RecordedRequest",
    "TestBroker",
]
