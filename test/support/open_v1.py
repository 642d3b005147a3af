#!/usr/bin/env python3
"""Opens one v1 blob, independently of liberty-crypto (pyca/cryptography only).

    python3 open_v1.py [--env NAME] [BLOB]

The key text comes from the environment variable NAME (default LIBERTY_MASTER_KEY), used exactly as set: a
32-character passphrase, or a 64-hex key as its 64 ASCII characters (not hex-decoded). The blob comes from
the argument, else from stdin (one trailing newline dropped). The plaintext's bytes go to stdout, nothing added.

v1: ENC: + standard base64 (padded) of salt(64) | iv(16) | tag(16) | ciphertext; AES-256-GCM with the 16-byte
iv, no AAD; key = PBKDF2-HMAC-SHA512(UTF-8 bytes of the key text, salt, 2145 iterations, 32 bytes).

Exit status: 0 opened; 1 the tag does not verify (wrong key or a changed blob); 2 usage, unset key, not a v1 blob.
"""
import base64
import binascii
import os
import re
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

SALT, IV, TAG, ITERATIONS = 64, 16, 16, 2145


def fail(code, message):
    print(f"open_v1: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv):
    env = "LIBERTY_MASTER_KEY"
    if argv[:1] == ["--env"]:
        if len(argv) < 2:
            fail(2, "--env needs a variable name")
        env, argv = argv[1], argv[2:]
    if len(argv) > 1:
        fail(2, "usage: open_v1.py [--env NAME] [BLOB]")
    key_text = os.environ.get(env, "")
    if key_text == "":
        fail(2, f"{env} is not set")
    blob = argv[0] if argv else re.sub(r"\r?\n\Z", "", sys.stdin.read())
    if not re.fullmatch(r"ENC:[A-Za-z0-9+/]+={0,2}", blob) or len(blob) % 4 != 0:
        fail(2, "not a v1 blob (ENC: + padded standard base64)")
    try:
        raw = base64.b64decode(blob[4:], validate=True)
    except binascii.Error:
        fail(2, "not a v1 blob (bad base64)")
    if len(raw) < SALT + IV + TAG:
        fail(2, "not a v1 blob (too short)")
    salt, iv = raw[:SALT], raw[SALT:SALT + IV]
    tag, ciphertext = raw[SALT + IV:SALT + IV + TAG], raw[SALT + IV + TAG:]
    key = PBKDF2HMAC(algorithm=hashes.SHA512(), length=32, salt=salt, iterations=ITERATIONS).derive(key_text.encode("utf-8"))
    try:
        plaintext = AESGCM(key).decrypt(iv, ciphertext + tag, None)
    except InvalidTag:
        fail(1, f"authentication tag mismatch: wrong key in {env}, or a changed blob")
    sys.stdout.buffer.write(plaintext)


if __name__ == "__main__":
    main(sys.argv[1:])
