#!/usr/bin/python3
"""Query every Query Function of a KMIP version with PyKMIP, and check the
answers PyKMIP decodes.

usage: pykmip_query.py HOST PORT CERT KEY CA VERSION

VERSION is 1.0 to 1.4 or 2.0. The request is built and the response decoded
by kmip.services.kmip_client.KMIPProxy of Debian's python3-pykmip 0.10
(its QueryResult keeps only the 1.0/1.1 fields, so the script reads the
decoded response payload). It asks the functions the version defines, plus
one the version does not define, which the server must ignore. PyKMIP 0.10
reads neither the 2.0 Profile Version of Profile Information, nor the 2.0
Quantum Safe Capability of Capability Information, nor the 2.0 Protection
Storage Masks structure (it expects bare Protection Storage Mask integers),
nor the attributes Extractable and Protection Storage Mask of Defaults
Information, so in 2.0 Query Profiles, Capabilities, Defaults Information
and Storage Protection Masks are left to the Go tests. Prints the answers; exits 1 at the first mismatch.
"""

import enum
import sys

from kmip.core import enums
from kmip.services import kmip_client

VERSIONS = {
    "1.0": enums.KMIPVersion.KMIP_1_0,
    "1.1": enums.KMIPVersion.KMIP_1_1,
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.3": enums.KMIPVersion.KMIP_1_3,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

Q = enums.QueryFunction
SINCE = [
    (enums.KMIPVersion.KMIP_1_0, [Q.QUERY_OPERATIONS, Q.QUERY_OBJECTS,
                                  Q.QUERY_SERVER_INFORMATION,
                                  Q.QUERY_APPLICATION_NAMESPACES]),
    (enums.KMIPVersion.KMIP_1_1, [Q.QUERY_EXTENSION_LIST,
                                  Q.QUERY_EXTENSION_MAP]),
    (enums.KMIPVersion.KMIP_1_2, [Q.QUERY_ATTESTATION_TYPES]),
    (enums.KMIPVersion.KMIP_1_3, [Q.QUERY_RNGS, Q.QUERY_VALIDATIONS,
                                  Q.QUERY_PROFILES, Q.QUERY_CAPABILITIES,
                                  Q.QUERY_CLIENT_REGISTRATION_METHODS]),
    (enums.KMIPVersion.KMIP_2_0, [Q.QUERY_DEFAULTS_INFORMATION]),
]


def plain(x):
    """The value of a PyKMIP primitive or enumeration, as an int or str."""
    x = getattr(x, "value", x)
    return x.value if isinstance(x, enum.Enum) else x


def fail(message):
    print("MISMATCH: " + message)
    sys.exit(1)


def main():
    host, port, cert, key, ca, version = sys.argv[1:7]
    kv = VERSIONS[version]
    asked, undefined = [], None
    for since, functions in SINCE:
        if kv >= since:
            asked += functions
        elif undefined is None:
            undefined = functions[0]
    if kv == enums.KMIPVersion.KMIP_2_0:
        asked.remove(Q.QUERY_PROFILES)
        asked.remove(Q.QUERY_CAPABILITIES)
        asked.remove(Q.QUERY_DEFAULTS_INFORMATION)
    proxy = kmip_client.KMIPProxy(
        host=host, port=int(port), certfile=cert, keyfile=key, ca_certs=ca,
        ssl_version="PROTOCOL_TLS", kmip_version=kv, config_file="/dev/null")
    proxy.open()
    try:
        functions = asked + ([undefined] if undefined else [])
        item = proxy._build_query_batch_item(functions)
        request = proxy._build_request_message(None, [item])
        response = proxy._send_and_receive_message(request)
    finally:
        proxy.close()
    bi = response.batch_items[0]
    if bi.result_status.value != enums.ResultStatus.SUCCESS:
        fail("Query failed: %s %s" % (bi.result_reason, bi.result_message))
    p = bi.response_payload
    print("asked %s" % [f.name for f in functions])
    ops = [plain(o) for o in p.operations]
    print("operations %d, object types %d" % (len(ops), len(p.object_types)))
    if enums.Operation.QUERY.value not in ops:
        fail("Query Operations lacks Query: %s" % ops)
    vendor = plain(p.vendor_identification)
    if not p.object_types or vendor != "kmipd":
        fail("objects %s, vendor %s" % (p.object_types, vendor))
    if kv >= enums.KMIPVersion.KMIP_1_1:
        names = [plain(x.extension_name) for x in p.extension_information]
        tags = [plain(x.extension_tag) for x in p.extension_information
                if x.extension_tag is not None]
        print("extensions %s tags %s" % (names, [hex(t) for t in tags]))
        if "x-kmipd-BackupFunction" not in names or 0x54B001 not in tags:
            fail("extension map %s %s" % (names, tags))
    if kv >= enums.KMIPVersion.KMIP_1_3:
        rngs = [(plain(r.rng_algorithm), plain(r.drbg_algorithm),
                 plain(r.hashing_algorithm)) for r in p.rng_parameters]
        print("rngs %s" % rngs)
        if not rngs:
            fail("no RNG Parameters")
    if enums.KMIPVersion.KMIP_1_3 <= kv < enums.KMIPVersion.KMIP_2_0:
        profiles = [plain(x.profile_name) for x in p.profile_information]
        print("profiles %s" % [enums.ProfileName(x).name for x in profiles])
        want = (enums.ProfileName.SYMMETRIC_KEY_LIFECYCLE_SERVER_KMIPv14
                if kv == enums.KMIPVersion.KMIP_1_4 else
                enums.ProfileName.SYMMETRIC_KEY_LIFECYCLE_SERVER_KMIPv13)
        if want.value not in profiles:
            fail("profiles lack %s" % want)
        caps = p.capability_information
        if len(caps) != 1:
            fail("capabilities %s" % caps)
        c = caps[0]
        # PyKMIP 0.10 reads Batch Undo Capability into
        # batch_continue_capability (objects.py, CapabilityInformation.read),
        # so batch_continue_capability stands for both 1.4 fields.
        batch = c.batch_continue_capability
        print("capabilities streaming=%s asynchronous=%s batch=%s "
              "destroy=%s rng mode=%s" % (
                  c.streaming_capability, c.asynchronous_capability,
                  batch, c.destroy_action, c.rng_mode))
        if plain(c.streaming_capability) is not True or \
                plain(c.asynchronous_capability) is not False or \
                plain(c.rng_mode) != enums.RNGMode.SHARED_INSTANTIATION.value:
            fail("capabilities")
        if (batch is None) != (kv < enums.KMIPVersion.KMIP_1_4):
            fail("batch capabilities in %s: %s" % (version, batch))
    if kv >= enums.KMIPVersion.KMIP_1_3:
        if p.validation_information or p.client_registration_methods or \
                p.attestation_types:
            fail("answers for what the server lacks")
    print("OK")


if __name__ == "__main__":
    main()
