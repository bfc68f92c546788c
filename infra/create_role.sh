#!/usr/bin/env bash
# Create (or update) the cloudbots member-account role in the account of the current AWS CLI
# credentials: the same role as infra/member-role.yaml, for accounts not reached by a StackSet.
#
# The role trusts only the bot roles (IAM path /cloudbots/) of the hub account, and only with the
# external id; its permissions are infra/member-role-policy.json (generated from the bot
# catalogue by `cloudbots member-role --policy`). Run it again after an upgrade to refresh them.
#
# Usage: infra/create_role.sh HUB_ACCOUNT_ID EXTERNAL_ID [ROLE_NAME]   (ROLE_NAME: Dome9CloudBots)
set -euo pipefail

usage() {
  echo "usage: $0 HUB_ACCOUNT_ID EXTERNAL_ID [ROLE_NAME]" >&2
  exit 2
}

[[ $# -ge 2 && $# -le 3 ]] || usage
hub_account="$1"
external_id="$2"
role_name="${3:-Dome9CloudBots}"

if [[ ! "$hub_account" =~ ^[0-9]{12}$ ]]; then
  echo "create_role: HUB_ACCOUNT_ID must be a 12-digit account id, got '$hub_account'" >&2
  exit 2
fi
# The characters STS accepts in an external id; none of them needs escaping in JSON.
if [[ ! "$external_id" =~ ^[A-Za-z0-9_+=,.@:/-]{2,1224}$ ]]; then
  echo "create_role: EXTERNAL_ID must be 2 to 1224 of A-Z a-z 0-9 _ + = , . @ : / -" >&2
  exit 2
fi
if [[ ! "$role_name" =~ ^[A-Za-z0-9_+=,.@-]{1,64}$ ]]; then
  echo "create_role: ROLE_NAME must be 1 to 64 of A-Z a-z 0-9 _ + = , . @ -, got '$role_name'" >&2
  exit 2
fi

policy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/member-role-policy.json"
if [[ ! -f "$policy" ]]; then
  echo "create_role: $policy not found" >&2
  exit 2
fi

partition="$(aws sts get-caller-identity --query Arn --output text | cut -d: -f2)"
trust="$(printf '{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "HubBotRoles",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:%s:iam::%s:root"},
    "Action": "sts:AssumeRole",
    "Condition": {
      "StringEquals": {"sts:ExternalId": "%s"},
      "ArnLike": {"aws:PrincipalArn": "arn:%s:iam::%s:role/cloudbots/*"}
    }
  }]
}' "$partition" "$hub_account" "$external_id" "$partition" "$hub_account")"

if aws iam get-role --role-name "$role_name" >/dev/null 2>&1; then
  echo "updating the trust policy of role $role_name"
  aws iam update-assume-role-policy --role-name "$role_name" --policy-document "$trust"
else
  echo "creating role $role_name"
  aws iam create-role --role-name "$role_name" \
    --description "Assumed by the cloudbots bots of the hub account to remediate findings here." \
    --max-session-duration 3600 \
    --assume-role-policy-document "$trust" >/dev/null
fi
echo "putting the bot actions policy cloudbots-bots on $role_name"
aws iam put-role-policy --role-name "$role_name" --policy-name cloudbots-bots \
  --policy-document "file://$policy"
aws iam get-role --role-name "$role_name" --query Role.Arn --output text
