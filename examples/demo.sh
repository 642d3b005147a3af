#!/usr/bin/env bash
# The walkthrough of `npm run demo`: the bundled example settings (examples/config), in a temporary
# copy, with keys generated on the spot and kept only in this shell's environment.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
lc() { node "$repo/bin/run.js" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$repo/examples/config" "$work/config"
export LIBERTY_SETTINGS_DIR="$work/config"
operator=$(id -un)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a copy of examples/config in $work/config; grant $operator the two permissions"
printf '\n[permissions]\n"settings:reveal-secrets" = ["%s"]\n"settings:framework" = ["%s"]\n' "$operator" "$operator" >> "$work/config/app.toml"

step "genkey: a fresh master key, exported, never written to disk"
LIBERTY_MASTER_KEY=$(lc genkey)
export LIBERTY_MASTER_KEY
lc fingerprint

step "status: the example ships with plaintext secrets (exit 1: locked fields are in plain)"
lc status || echo "(status exited $?)"

step "encrypt --all: every non-empty secret field becomes an ENC: blob"
lc encrypt --all
grep -n 'password\|auth_token\|api_key\|webhook_url\|client_secret' "$work/config/"*.toml

step "encrypt a new value from a pipeline variable, and decrypt it back (audit-logged)"
export BILLING_TOKEN="rotated-billing-token"
lc encrypt connectors.toml:connectors.billing.auth_token --from-env BILLING_TOKEN
printf 'decrypted: %s\n' "$(lc decrypt connectors.toml:connectors.billing.auth_token)"

step "rotation phase 1-2: a new key becomes the master, the old one a legacy key"
LIBERTY_MASTER_KEY_NEW=$(lc genkey)
export LIBERTY_MASTER_KEY_NEW
lc keys rotate --to LIBERTY_MASTER_KEY_NEW

step "the nightly cron check now fails: blobs sit on the legacy key"
lc rewrap --check || echo "(rewrap --check exited $?)"

step "phase 4: rewrap"
lc rewrap
lc rewrap --check && echo "(rewrap --check exited 0)"

step "phase 5: drop the legacy key, unset it"
lc keys drop-legacy LIBERTY_MASTER_KEY
unset LIBERTY_MASTER_KEY
lc status

step "the audit log: who did what, and its hash chain"
lc audit --limit 5
lc audit verify

printf '\ndone: the temporary copy is removed on exit; examples/config is unchanged.\n'
