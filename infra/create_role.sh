#!/usr/bin/env bash
# Create (or update) the cloudbots member-account roles in the account of the current AWS CLI
# credentials: the same roles as infra/member-role.yaml, for accounts not reached by a StackSet.
#
#   ROLE_NAME       assumed by the hub's bot roles (IAM path /cloudbots/), with the policy
#                   infra/member-role-policy.json (`cloudbots member-role --policy`);
#   ROLE_NAME-undo  assumed by the hub's restorer roles (IAM path /cloudbots-undo/) to undo a
#                   remediation, with infra/member-undo-role-policy.json
#                   (`cloudbots member-role --undo-policy`).
# Both trust only the hub account's roles under their path, and only with the external id. Both
# policies are generated from the bot catalogue: run the script again after an upgrade.
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
# 59, so that ROLE_NAME-undo fits IAM's 64.
if [[ ! "$role_name" =~ ^[A-Za-z0-9_+=,.@-]{1,59}$ ]]; then
  echo "create_role: ROLE_NAME must be 1 to 59 of A-Z a-z 0-9 _ + = , . @ -, got '$role_name'" >&2
  exit 2
fi

infra="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for policy in member-role-policy.json member-undo-role-policy.json; do
  if [[ ! -f "$infra/$policy" ]]; then
    echo "create_role: $infra/$policy not found" >&2
    exit 2
  fi
done

partition="$(aws sts get-caller-identity --query Arn --output text | cut -d: -f2)"

# member_role NAME TRUST_SID TRUSTED_PATH DESCRIPTION POLICY_NAME POLICY_FILE
member_role() {
  local name=$1 sid=$2 path=$3 description=$4 policy_name=$5 policy=$6 trust
  trust="$(printf '{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "%s",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:%s:iam::%s:root"},
    "Action": "sts:AssumeRole",
    "Condition": {
      "StringEquals": {"sts:ExternalId": "%s"},
      "ArnLike": {"aws:PrincipalArn": "arn:%s:iam::%s:role%s*"}
    }
  }]
}' "$sid" "$partition" "$hub_account" "$external_id" "$partition" "$hub_account" "$path")"

  if aws iam get-role --role-name "$name" >/dev/null 2>&1; then
    echo "updating the trust policy of role $name"
    aws iam update-assume-role-policy --role-name "$name" --policy-document "$trust"
  else
    echo "creating role $name"
    aws iam create-role --role-name "$name" \
      --description "$description" \
      --max-session-duration 3600 \
      --assume-role-policy-document "$trust" >/dev/null
  fi
  echo "putting the policy $policy_name on $name"
  aws iam put-role-policy --role-name "$name" --policy-name "$policy_name" \
    --policy-document "file://$infra/$policy"
}

member_role "$role_name" HubBotRoles /cloudbots/ \
  "Assumed by the cloudbots bots of the hub account to remediate findings here." \
  cloudbots-bots member-role-policy.json
member_role "$role_name-undo" HubRestorerRoles /cloudbots-undo/ \
  "Assumed by the cloudbots restorers of the hub account to undo remediations here." \
  cloudbots-undo member-undo-role-policy.json
aws iam get-role --role-name "$role_name" --query Role.Arn --output text
aws iam get-role --role-name "$role_name-undo" --query Role.Arn --output text
