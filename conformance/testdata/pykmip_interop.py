#!/usr/bin/python3
"""A PyKMIP client conversation with a KMIP server, asserting every answer.

usage: pykmip_interop.py HOST PORT CERT KEY CA VERSION

VERSION is the KMIP protocol version the client speaks: 1.2 or 2.0.

It uses kmip.pie.client.ProxyKmipClient from Debian's python3-pykmip 0.10,
prints one line per step, and exits with status 1 and a message naming the
step at the first answer that is not the expected one.

TLS: PyKMIP 0.10 builds its socket with ssl.wrap_socket(ssl_version=...)
and no cipher list, so the client offers Python's default suites (ECDHE
with AES-GCM or ChaCha20, TLS 1.2 and 1.3): the server needs no RSA key
exchange suite for this client on Python 3.11. PROTOCOL_TLS negotiates the
highest version both sides speak; PROTOCOL_TLS_CLIENT cannot be used
because wrap_socket passes no server_hostname. PyKMIP does not check the
server's host name, only its chain to CA.
"""

import sys
import time
import traceback
import uuid
import warnings

from kmip.core import enums
from kmip.core.factories import attributes as attribute_factories
from kmip.pie import client as pie_client
from kmip.pie import exceptions as pie_exceptions
from kmip.pie import objects

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

ENCRYPT_DECRYPT = [
    enums.CryptographicUsageMask.ENCRYPT,
    enums.CryptographicUsageMask.DECRYPT,
]


class Mismatch(Exception):
    """An answer differs from the expected one."""


def expect(condition, message):
    if not condition:
        raise Mismatch(message)


def expect_equal(got, want, what):
    expect(got == want, "%s: got %r, want %r" % (what, got, want))


def expect_failure(call, what):
    """Run call and require a KmipOperationFailure; return it."""
    try:
        result = call()
    except pie_exceptions.KmipOperationFailure as e:
        return e
    raise Mismatch("%s succeeded (returned %r), want a KMIP failure"
                   % (what, result))


def attribute_value(attribute):
    """The Python value of a kmip.core.objects.Attribute."""
    value = attribute.attribute_value
    if hasattr(value, "name_value"):  # Name structure
        return value.name_value.value
    if hasattr(value, "value"):  # a primitive
        return value.value
    return value  # another structure (Digest, Link, ...): the object itself


def attributes_by_name(attributes):
    """Map attribute name -> list of values."""
    found = {}
    for a in attributes:
        found.setdefault(a.attribute_name.value, []).append(attribute_value(a))
    return found


def single(found, name):
    values = found.get(name)
    expect(values is not None, "attribute %r missing; got %s"
           % (name, sorted(found)))
    expect_equal(len(values), 1, "number of %r instances" % name)
    return values[0]


class Conversation:
    """The steps, in order, sharing the identifiers they create."""

    def __init__(self, client, version):
        self.c = client
        self.tag = "pykmip-%s-%s" % (version, uuid.uuid4().hex[:8])
        self.name = self.tag + "-created"
        self.factory = attribute_factories.AttributeFactory()
        self.all_ids = []
        self.is_1x = version.startswith("1.")

    def state(self, uid):
        got_uid, attrs = self.c.get_attributes(uid, ["State"])
        expect_equal(got_uid, uid, "Get Attributes unique identifier")
        return single(attributes_by_name(attrs), "State")

    def create(self):
        self.created = self.c.create(
            enums.CryptographicAlgorithm.AES, 256, name=self.name,
            cryptographic_usage_mask=ENCRYPT_DECRYPT)
        expect(isinstance(self.created, str) and self.created,
               "Create returned unique identifier %r" % (self.created,))
        self.all_ids.append(self.created)
        return "uid=%s" % self.created

    def get_created(self):
        key = self.c.get(self.created)
        expect(isinstance(key, objects.SymmetricKey),
               "Get returned %s, want SymmetricKey" % type(key).__name__)
        expect_equal(len(key.value), 32, "key length in bytes")
        expect_equal(key.cryptographic_algorithm,
                     enums.CryptographicAlgorithm.AES, "key algorithm")
        expect_equal(key.cryptographic_length, 256, "key length in bits")
        return "32 bytes"

    def get_attributes_all(self):
        uid, attrs = self.c.get_attributes(self.created)
        expect_equal(uid, self.created, "Get Attributes unique identifier")
        found = attributes_by_name(attrs)
        expect_equal(single(found, "Cryptographic Algorithm"),
                     enums.CryptographicAlgorithm.AES,
                     "Cryptographic Algorithm")
        expect_equal(single(found, "Cryptographic Length"), 256,
                     "Cryptographic Length")
        expect_equal(single(found, "Cryptographic Usage Mask"),
                     enums.CryptographicUsageMask.ENCRYPT.value
                     | enums.CryptographicUsageMask.DECRYPT.value,
                     "Cryptographic Usage Mask")
        expect_equal(single(found, "State"), enums.State.PRE_ACTIVE, "State")
        expect_equal(single(found, "Object Type"),
                     enums.ObjectType.SYMMETRIC_KEY, "Object Type")
        expect_equal(found.get("Name"), [self.name], "Name")
        # The server's default operation policy (KMIP 1.x 3.18.1); KMIP
        # 2.0 removed the attribute.
        if self.is_1x:
            expect_equal(single(found, "Operation Policy Name"), "default",
                         "Operation Policy Name")
        else:
            expect("Operation Policy Name" not in found,
                   "2.0 Get Attributes holds Operation Policy Name")
        return "%d attributes" % len(attrs)

    def get_attributes_named(self):
        uid, attrs = self.c.get_attributes(
            self.created, ["State", "Cryptographic Algorithm"])
        expect_equal(uid, self.created, "Get Attributes unique identifier")
        found = attributes_by_name(attrs)
        expect_equal(sorted(found), ["Cryptographic Algorithm", "State"],
                     "attribute names returned")
        expect_equal(single(found, "State"), enums.State.PRE_ACTIVE, "State")
        expect_equal(single(found, "Cryptographic Algorithm"),
                     enums.CryptographicAlgorithm.AES,
                     "Cryptographic Algorithm")
        return "State, Cryptographic Algorithm"

    def get_attribute_list(self):
        names = self.c.get_attribute_list(self.created)
        for want in ("Cryptographic Algorithm", "Cryptographic Length",
                     "Cryptographic Usage Mask", "Name", "State"):
            expect(want in names,
                   "Get Attribute List lacks %r: %s" % (want, names))
        return "%d names" % len(names)

    def locate_by_name(self):
        ids = self.c.locate(attributes=[
            self.factory.create_attribute(enums.AttributeType.NAME,
                                          self.name)])
        expect_equal(ids, [self.created], "Locate by Name")
        return "found %s" % self.created

    def activate(self):
        self.c.activate(self.created)
        expect_equal(self.state(self.created), enums.State.ACTIVE,
                     "State after Activate")
        return "ACTIVE"

    def register_symmetric(self):
        self.key_bytes = bytes(range(16))
        key = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 128, self.key_bytes,
            masks=ENCRYPT_DECRYPT, name=self.tag + "-registered")
        self.registered = self.c.register(key)
        self.all_ids.append(self.registered)
        got = self.c.get(self.registered)
        expect(isinstance(got, objects.SymmetricKey),
               "Get returned %s, want SymmetricKey" % type(got).__name__)
        expect(got.value == self.key_bytes,
               "Get returned other key bytes than registered")
        expect_equal(got.cryptographic_length, 128, "key length in bits")
        return "uid=%s, same bytes" % self.registered

    def register_two_names(self):
        """Two instances of the multi-instance Name. In 1.x each comes back
        with its Attribute Index as PyKMIP decodes it: 0 for the first (an
        absent Attribute Index means 0, KMIP 1.x section 2.1.1), 1 for the
        second."""
        first, second = self.tag + "-first", self.tag + "-second"
        key = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 128, bytes(16),
            masks=ENCRYPT_DECRYPT)
        key.names = [first, second]
        uid = self.c.register(key)
        self.all_ids.append(uid)
        got_uid, attrs = self.c.get_attributes(uid, ["Name"])
        expect_equal(got_uid, uid, "Get Attributes unique identifier")
        indices = {}
        for a in attrs:
            index = a.attribute_index
            indices[attribute_value(a)] = 0 if index is None else index.value
        expect_equal(sorted(indices), [first, second], "Names")
        if self.is_1x:
            expect_equal(indices, {first: 0, second: 1},
                         "Attribute Index of each Name")
        ids = self.c.locate(attributes=[
            self.factory.create_attribute(enums.AttributeType.NAME, second)])
        expect_equal(ids, [uid], "Locate by the second Name")
        return "uid=%s, Attribute Index %s" % (uid, indices)

    def register_secret(self):
        secret = b"correct horse battery staple"
        obj = objects.SecretData(
            secret, enums.SecretDataType.PASSWORD,
            masks=[enums.CryptographicUsageMask.DERIVE_KEY],
            name=self.tag + "-secret")
        uid = self.c.register(obj)
        self.all_ids.append(uid)
        got = self.c.get(uid)
        expect(isinstance(got, objects.SecretData),
               "Get returned %s, want SecretData" % type(got).__name__)
        expect(got.value == secret, "Get returned other secret bytes")
        expect_equal(got.data_type, enums.SecretDataType.PASSWORD,
                     "Secret Data Type")
        return "uid=%s, same bytes" % uid

    def register_opaque(self):
        blob = b"\x00\x01opaque interop blob\xfe\xff"
        obj = objects.OpaqueObject(blob, enums.OpaqueDataType.NONE,
                                   name=self.tag + "-opaque")
        uid = self.c.register(obj)
        self.all_ids.append(uid)
        got = self.c.get(uid)
        expect(isinstance(got, objects.OpaqueObject),
               "Get returned %s, want OpaqueObject" % type(got).__name__)
        expect(got.value == blob, "Get returned other opaque bytes")
        return "uid=%s, same bytes" % uid

    def register_split_key(self):
        part = bytes(range(16))
        obj = objects.SplitKey(
            cryptographic_algorithm=enums.CryptographicAlgorithm.AES,
            cryptographic_length=128, key_value=part,
            name=self.tag + "-split", split_key_parts=3,
            key_part_identifier=2, split_key_threshold=2,
            split_key_method=enums.SplitKeyMethod.POLYNOMIAL_SHARING_GF_2_8)
        uid = self.c.register(obj)
        self.all_ids.append(uid)
        got = self.c.get(uid)
        expect(isinstance(got, objects.SplitKey),
               "Get returned %s, want SplitKey" % type(got).__name__)
        expect(got.value == part, "Get returned other split key bytes")
        expect_equal((got.split_key_parts, got.key_part_identifier,
                      got.split_key_threshold, got.split_key_method),
                     (3, 2, 2, enums.SplitKeyMethod.POLYNOMIAL_SHARING_GF_2_8),
                     "Split Key fields")
        return "uid=%s, same bytes and fields" % uid

    def query(self):
        result = self.c.proxy.query(query_functions=[
            enums.QueryFunction.QUERY_OPERATIONS,
            enums.QueryFunction.QUERY_OBJECTS])
        expect_equal(result.result_status.value, enums.ResultStatus.SUCCESS,
                     "Query result")
        ops = set(result.operations)
        for want in (enums.Operation.CREATE, enums.Operation.GET,
                     enums.Operation.CERTIFY, enums.Operation.CREATE_SPLIT_KEY,
                     enums.Operation.GET_USAGE_ALLOCATION,
                     enums.Operation.OBTAIN_LEASE):
            expect(want in ops, "Query lacks %s" % want.name)
        expect(enums.ObjectType.SPLIT_KEY in set(result.object_types),
               "Query lacks the Split Key object type")
        return "%d operations, %d object types" % (
            len(result.operations), len(result.object_types))

    def locate_paged(self):
        everything = self.c.locate()
        expect_equal(sorted(everything), sorted(self.all_ids),
                     "Locate without filter on a fresh server")
        first = self.c.locate(maximum_items=3)
        expect_equal(len(first), 3, "Locate Maximum Items 3, page 1 size")
        second = self.c.locate(maximum_items=3, offset_items=3)
        expect_equal(len(second), len(self.all_ids) - 3,
                     "Locate Maximum Items 3 Offset Items 3, page 2 size")
        expect_equal(sorted(first + second), sorted(self.all_ids),
                     "pages 1 and 2 together")
        return "%d + %d of %d" % (len(first), len(second), len(everything))

    def revoke_compromise(self):
        self.c.revoke(enums.RevocationReasonCode.KEY_COMPROMISE,
                      self.created,
                      revocation_message="interop test",
                      compromise_occurrence_date=int(time.time()))
        expect_equal(self.state(self.created), enums.State.COMPROMISED,
                     "State after Revoke(Key Compromise)")
        return "COMPROMISED"

    def revoke_cessation(self):
        self.c.activate(self.registered)
        self.c.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION,
                      self.registered)
        expect_equal(self.state(self.registered), enums.State.DEACTIVATED,
                     "State after Revoke(Cessation of Operation)")
        return "DEACTIVATED"

    def destroy_deactivated(self):
        self.c.destroy(self.registered)
        return "destroyed %s" % self.registered

    def get_destroyed(self):
        e = expect_failure(lambda: self.c.get(self.registered),
                           "Get of a destroyed object")
        return "refused: %s" % e.reason

    def destroy_active(self):
        uid = self.c.create(enums.CryptographicAlgorithm.AES, 128,
                            cryptographic_usage_mask=ENCRYPT_DECRYPT)
        self.c.activate(uid)
        e = expect_failure(lambda: self.c.destroy(uid),
                           "Destroy of an Active key")
        expect_equal(self.state(uid), enums.State.ACTIVE,
                     "State after the refused Destroy")
        return "refused: %s" % e.reason


STEPS = [
    "create", "get_created", "get_attributes_all", "get_attributes_named",
    "get_attribute_list", "locate_by_name", "activate",
    "register_symmetric", "register_two_names", "register_secret", "register_opaque",
    "register_split_key", "query",
    "locate_paged", "revoke_compromise", "revoke_cessation",
    "destroy_deactivated", "get_destroyed", "destroy_active",
]


def main(argv):
    if len(argv) != 7 or argv[6] not in VERSIONS:
        sys.stderr.write(__doc__)
        return 2
    host, port, cert, key, ca, version = argv[1:]
    warnings.simplefilter("ignore", DeprecationWarning)  # ssl.wrap_socket

    client = pie_client.ProxyKmipClient(
        hostname=host, port=int(port), cert=cert, key=key, ca=ca,
        ssl_version="PROTOCOL_TLS", kmip_version=VERSIONS[version])
    try:
        client.open()
    except Exception as e:
        print("FAIL connect: %s: %s" % (type(e).__name__, e))
        return 1
    print("ok   connect: KMIP %s to %s:%s" % (version, host, port))
    sys.stdout.flush()

    conversation = Conversation(client, version)
    try:
        for step in STEPS:
            try:
                detail = getattr(conversation, step)()
            except Mismatch as e:
                print("FAIL %s: %s" % (step, e))
                return 1
            except Exception as e:
                print("FAIL %s: unexpected %s: %s"
                      % (step, type(e).__name__, e))
                if "Unrecognized attribute type" in str(e):
                    print("     PyKMIP 0.10 cannot decode an attribute the "
                          "server sent; its decoder raises instead of "
                          "skipping unknown attributes")
                traceback.print_exc(file=sys.stdout)
                return 1
            print("ok   %s: %s" % (step, detail))
            sys.stdout.flush()
    finally:
        client.close()
    print("PASS all %d steps" % len(STEPS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
