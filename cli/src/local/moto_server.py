"""The local stack's moto server, with one fix to its IAM enforcement.

AWS signs a GET, HEAD or DELETE request without a body over the empty payload. moto 5.2.5
re-computes the signature of such a request over its parsed form data instead (its query, or
for a request without one, its headers): every signed GET or DELETE of a REST-JSON service
(Lambda's GetFunctionConfiguration, ListTags, GetFunctionConcurrency, ...) then fails with
SignatureDoesNotMatch once IAM is enforced. Here such a request is checked over the empty
payload, as AWS does; everything else is moto's own server.
"""

import sys

from moto.iam import access_control
from moto.server import main

_moto_request = access_control.IAMRequestBase._create_aws_request


def _request_over_empty_payload(self):
    if self._method in ("GET", "HEAD", "DELETE") and not self._body:
        parsed, self._data = self._data, b""
        try:
            return _moto_request(self)
        finally:
            self._data = parsed
    return _moto_request(self)


access_control.IAMRequestBase._create_aws_request = _request_over_empty_payload

if __name__ == "__main__":
    sys.exit(main())
