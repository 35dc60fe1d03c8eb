#!/usr/bin/python3
"""Wrapped keys through PyKMIP: a Get with a Key Wrapping Specification and
the Get of a key PyKMIP registered wrapped, against a KMIP server.

usage: pykmip_wrap.py HOST PORT CERT KEY CA VERSION

VERSION is the KMIP protocol version the client speaks: 1.2 or 2.0. The
keys are those of RFC 3394 section 4.1, so the wrapped bytes are known.
Prints one line per step and exits with status 1 at the first answer that
is not the expected one (see pykmip_interop.py for the TLS notes).

The Key Value of a wrapped key is a Byte String in every KMIP version (1.0
to 1.4 section 2.1.3 and 2.0/2.1 section 2.1.3, Key Block: "Byte String:
for wrapped Key Value; Structure: for plaintext Key Value"; the OASIS
vectors AX-M-2-14/21 and TC-WRAP-1-20 encode it so). PyKMIP 0.10 reads a
Key Value as a Structure only, as its own server writes it, and cannot
decode a conforming answer: step get_wrapped_stock checks that this, and
nothing else, is what fails. The later steps teach PyKMIP's KeyValue to
read the Byte String form (read_byte_string_key_value) and check the rest
of the answer with PyKMIP's decoder.
"""

import sys
import traceback
import warnings

from kmip.core import enums
from kmip.core import exceptions as core_exceptions
from kmip.core import objects as core_objects
from kmip.core import primitives
from kmip.pie import client as pie_client
from kmip.pie import objects

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
WRAPPED = bytes.fromhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")


class Mismatch(Exception):
    """An answer differs from the expected one."""


def expect_equal(got, want, what):
    if got != want:
        raise Mismatch("%s: got %r, want %r" % (what, got, want))


def read_byte_string_key_value():
    """Make PyKMIP's KeyValue also read the Byte String of a wrapped key."""
    stock = core_objects.KeyValue.read

    def read(self, istream, kmip_version=enums.KMIPVersion.KMIP_1_0):
        if not self.is_type_next(enums.Types.BYTE_STRING, istream):
            return stock(self, istream, kmip_version=kmip_version)
        wrapped = primitives.ByteString(tag=enums.Tags.KEY_VALUE)
        wrapped.read(istream, kmip_version=kmip_version)
        self.key_material = core_objects.KeyMaterial(wrapped.value)
        self.attributes = []

    core_objects.KeyValue.read = read


class Conversation:
    def __init__(self, client):
        self.c = client

    def register_kek(self):
        kek = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 128, KEK,
            masks=[enums.CryptographicUsageMask.WRAP_KEY,
                   enums.CryptographicUsageMask.UNWRAP_KEY])
        self.kek = self.c.register(kek)
        self.c.activate(self.kek)
        return "uid=%s" % self.kek

    def register_key(self):
        key = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 128, KEY,
            masks=[enums.CryptographicUsageMask.ENCRYPT,
                   enums.CryptographicUsageMask.DECRYPT])
        self.key = self.c.register(key)
        return "uid=%s" % self.key

    def check_wrapped(self, got, what):
        if not isinstance(got, objects.SymmetricKey):
            raise Mismatch("%s returned %s, want SymmetricKey"
                           % (what, type(got).__name__))
        expect_equal(bytes(got.value), WRAPPED, what + " key value")
        expect_equal(got.cryptographic_algorithm,
                     enums.CryptographicAlgorithm.AES, what + " algorithm")
        expect_equal(got.cryptographic_length, 128, what + " length")
        data = got.key_wrapping_data
        expect_equal(data.get("wrapping_method"),
                     enums.WrappingMethod.ENCRYPT, what + " wrapping method")
        info = data.get("encryption_key_information") or {}
        expect_equal(info.get("unique_identifier"), self.kek,
                     what + " wrapping key")

    def wrapping_specification(self):
        return {
            "wrapping_method": enums.WrappingMethod.ENCRYPT,
            "encryption_key_information": {
                "unique_identifier": self.kek,
                "cryptographic_parameters": {
                    "block_cipher_mode": enums.BlockCipherMode.NIST_KEY_WRAP,
                },
            },
            "encoding_option": enums.EncodingOption.NO_ENCODING,
        }

    def get_wrapped_stock(self):
        try:
            self.c.get(self.key,
                       key_wrapping_specification=self.wrapping_specification())
        except core_exceptions.ReadValueError as e:
            # KeyValue.read wanted type 1 (Structure), found 8 (Byte String).
            if "expected 1, received 8" not in str(e):
                raise
            # The connection holds the unread rest of the answer: reopen.
            self.c.close()
            self.c.open()
            return "PyKMIP 0.10 refuses the Byte String Key Value: %s" % e
        raise Mismatch("stock PyKMIP 0.10 decoded a Byte String Key Value")

    def get_wrapped(self):
        read_byte_string_key_value()
        got = self.c.get(self.key,
                         key_wrapping_specification=self.wrapping_specification())
        self.check_wrapped(got, "wrapped Get")
        return "RFC 3394 bytes, Key Wrapping Data naming %s" % self.kek

    def register_wrapped(self):
        key = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 128, WRAPPED,
            masks=[enums.CryptographicUsageMask.ENCRYPT,
                   enums.CryptographicUsageMask.DECRYPT],
            key_wrapping_data={
                "wrapping_method": enums.WrappingMethod.ENCRYPT,
                "encryption_key_information": {
                    "unique_identifier": self.kek,
                    "cryptographic_parameters": {
                        "block_cipher_mode":
                            enums.BlockCipherMode.NIST_KEY_WRAP,
                    },
                },
                "encoding_option": enums.EncodingOption.NO_ENCODING,
            })
        self.wrapped = self.c.register(key)
        got = self.c.get(self.wrapped)
        self.check_wrapped(got, "Get of the key registered wrapped")
        return "uid=%s, returned as registered" % self.wrapped


STEPS = ["register_kek", "register_key", "get_wrapped_stock", "get_wrapped",
         "register_wrapped"]


def main(argv):
    if len(argv) != 7 or argv[6] not in VERSIONS:
        sys.stderr.write(__doc__)
        return 2
    host, port, cert, key, ca, version = argv[1:]
    warnings.simplefilter("ignore", DeprecationWarning)  # ssl.wrap_socket
    client = pie_client.ProxyKmipClient(
        hostname=host, port=int(port), cert=cert, key=key, ca=ca,
        ssl_version="PROTOCOL_TLS", kmip_version=VERSIONS[version])
    client.open()
    conversation = Conversation(client)
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
