//! Signing query-protocol requests so that moto, when it enforces IAM, accepts them.
//!
//! moto checks the signature of a form-encoded request (EC2, IAM, STS, SNS) over the form it
//! re-encodes from the parameters it parsed, and Python's encoder writes a space as `+` where
//! the AWS SDK for Rust writes `%20`: every request with a space in a parameter (a snapshot
//! description, a tag value, a policy document) would be refused as badly signed. This HTTP
//! client rewrites such a body with `+` (the same form to AWS) and signs it again, so it
//! reaches moto exactly as moto will re-encode it.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use std::time::SystemTime;

/// An HTTP client that sends form bodies with spaces as `+`, signed with `credentials`.
#[derive(Debug)]
pub struct PlusSpacesClient {
    inner: SharedHttpClient,
    credentials: Credentials,
}

impl PlusSpacesClient {
    pub fn new(inner: SharedHttpClient, credentials: Credentials) -> Self {
        PlusSpacesClient { inner, credentials }
    }
}

impl HttpClient for PlusSpacesClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PlusSpacesConnector {
            inner: self.inner.http_connector(settings, components),
            identity: self.credentials.clone().into(),
        })
    }
}

#[derive(Debug)]
struct PlusSpacesConnector {
    inner: SharedHttpConnector,
    identity: Identity,
}

impl HttpConnector for PlusSpacesConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        if let Err(e) = self.resign(&mut request) {
            return HttpConnectorFuture::ready(Err(ConnectorError::user(e)));
        }
        self.inner.call(request)
    }
}

impl PlusSpacesConnector {
    /// Rewrite a form body holding `%20` with `+`, and sign the request again.
    fn resign(&self, request: &mut HttpRequest) -> Result<(), BoxError> {
        let form = request
            .headers()
            .get("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let Some(body) = request.body().bytes().filter(|_| form) else {
            return Ok(());
        };
        let text = std::str::from_utf8(body)?;
        if !text.contains("%20") {
            return Ok(());
        }
        let body = text.replace("%20", "+").into_bytes();
        let authorization = request
            .headers()
            .get("authorization")
            .ok_or("a signed request has an Authorization header")?;
        let (region, service) = credential_scope(authorization)?;
        let headers = request.headers_mut();
        headers.remove("authorization");
        headers.remove("x-amz-date");
        headers.insert("content-length", body.len().to_string());
        let params = SigningParams::builder()
            .identity(&self.identity)
            .region(&region)
            .name(&service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let signable = SignableRequest::new(
            request.method(),
            request.uri(),
            request.headers().iter(),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        let (signed_headers, _query) = instructions.into_parts();
        for header in signed_headers {
            request
                .headers_mut()
                .insert(header.name(), header.value().to_string());
        }
        *request.body_mut() = SdkBody::from(body);
        Ok(())
    }
}

/// The region and service of a SigV4 `Authorization` header
/// (`…Credential=<key>/<date>/<region>/<service>/aws4_request…`).
fn credential_scope(authorization: &str) -> Result<(String, String), BoxError> {
    let scope = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .ok_or("the Authorization header has no credential scope")?;
    let parts: Vec<&str> = scope.split('/').collect();
    match parts.as_slice() {
        [_key, _date, region, service, "aws4_request"] => {
            Ok((region.to_string(), service.to_string()))
        }
        _ => Err(format!("unexpected credential scope {scope}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_region_and_service_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIA1/20261130/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=ab";
        assert_eq!(
            credential_scope(header).unwrap(),
            ("us-east-1".to_string(), "ec2".to_string())
        );
        assert!(credential_scope("AWS4-HMAC-SHA256 Signature=ab").is_err());
    }
}
