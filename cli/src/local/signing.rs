//! Signing query-protocol requests so that moto, when it enforces IAM, accepts them.
//!
//! moto checks the signature of a form-encoded request (EC2, IAM, STS, SNS) over the form it
//! re-encodes from the parameters it parsed, and Python's encoder writes a space as `+` where
//! the AWS SDK for Rust writes `%20`: every request with a space in a parameter (a snapshot
//! description, a tag value, a policy document) would be refused as badly signed. This HTTP
//! client rewrites such a body with `+` (the same form to AWS) and signs it again *with the
//! keys that signed it*, so the request still acts as its caller, in its caller's account.
//!
//! The client knows those keys from a registry: the stack registers every access key it
//! creates ([`register`]), and the client registers the temporary keys of each STS
//! `AssumeRole` answer it carries. A request signed by unknown keys is refused, never re-signed
//! under another identity.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

/// Every access key this process knows the secret of, by key id.
static KEYS: LazyLock<Mutex<HashMap<String, Credentials>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Remember `credentials`, so requests they sign can be signed again with them.
pub fn register(credentials: &Credentials) {
    KEYS.lock()
        .expect("keys lock")
        .insert(credentials.access_key_id().to_string(), credentials.clone());
}

fn known(access_key_id: &str) -> Option<Credentials> {
    KEYS.lock().expect("keys lock").get(access_key_id).cloned()
}

/// An HTTP client that sends form bodies with spaces as `+`, signed again by their signer.
#[derive(Debug)]
pub struct PlusSpacesClient {
    inner: SharedHttpClient,
}

impl PlusSpacesClient {
    pub fn new(inner: SharedHttpClient) -> Self {
        PlusSpacesClient { inner }
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
        })
    }
}

#[derive(Debug)]
struct PlusSpacesConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for PlusSpacesConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let assume_role = form_body(&request).is_some_and(|b| b.contains("Action=AssumeRole&"));
        if let Err(e) = resign(&mut request) {
            return HttpConnectorFuture::ready(Err(ConnectorError::user(e)));
        }
        let sent = self.inner.call(request);
        if !assume_role {
            return sent;
        }
        HttpConnectorFuture::new(async move { register_assumed(sent.await?).await })
    }
}

/// The body of a form-encoded request, as text.
fn form_body(request: &HttpRequest) -> Option<&str> {
    let form = request
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    request
        .body()
        .bytes()
        .filter(|_| form)
        .and_then(|b| std::str::from_utf8(b).ok())
}

/// Rewrite a form body holding `%20` with `+`, and sign the request again with its keys.
fn resign(request: &mut HttpRequest) -> Result<(), BoxError> {
    let Some(text) = form_body(request).filter(|t| t.contains("%20")) else {
        return Ok(());
    };
    let body = text.replace("%20", "+").into_bytes();
    let authorization = request
        .headers()
        .get("authorization")
        .ok_or("a signed request has an Authorization header")?;
    let scope = CredentialScope::parse(authorization)?;
    let identity: Identity = known(&scope.access_key_id)
        .ok_or_else(|| {
            format!(
                "no secret is known for access key {}: the local stack signs again only with keys it created or saw issued",
                scope.access_key_id
            )
        })?
        .into();
    let headers = request.headers_mut();
    headers.remove("authorization");
    headers.remove("x-amz-date");
    headers.remove("x-amz-security-token");
    headers.insert("content-length", body.len().to_string());
    let params = SigningParams::builder()
        .identity(&identity)
        .region(&scope.region)
        .name(&scope.service)
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

/// Register the temporary keys of an STS `AssumeRole` answer; the answer passes unchanged.
async fn register_assumed(mut response: HttpResponse) -> Result<HttpResponse, ConnectorError> {
    let bytes = ByteStream::new(response.take_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::io(e.into()))?
        .into_bytes();
    if let Some(credentials) = std::str::from_utf8(&bytes)
        .ok()
        .and_then(assumed_credentials)
    {
        register(&credentials);
    }
    *response.body_mut() = SdkBody::from(bytes);
    Ok(response)
}

/// The keys in an `AssumeRoleResponse` document.
fn assumed_credentials(xml: &str) -> Option<Credentials> {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = xml.find(&open)? + open.len();
        let end = start + xml[start..].find(&format!("</{name}>"))?;
        Some(xml[start..end].trim().to_string())
    };
    Some(Credentials::new(
        element("AccessKeyId")?,
        element("SecretAccessKey")?,
        element("SessionToken"),
        None,
        "local-stack-assumed-role",
    ))
}

/// The key, region and service of a SigV4 `Authorization` header
/// (`…Credential=<key>/<date>/<region>/<service>/aws4_request…`).
#[derive(Debug, PartialEq)]
struct CredentialScope {
    access_key_id: String,
    region: String,
    service: String,
}

impl CredentialScope {
    fn parse(authorization: &str) -> Result<CredentialScope, BoxError> {
        let scope = authorization
            .split("Credential=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .ok_or("the Authorization header has no credential scope")?;
        let parts: Vec<&str> = scope.split('/').collect();
        match parts.as_slice() {
            [key, _date, region, service, "aws4_request"] => Ok(CredentialScope {
                access_key_id: key.to_string(),
                region: region.to_string(),
                service: service.to_string(),
            }),
            _ => Err(format!("unexpected credential scope {scope}").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_region_and_service_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIA1/20261130/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=ab";
        assert_eq!(
            CredentialScope::parse(header).unwrap(),
            CredentialScope {
                access_key_id: "AKIA1".to_string(),
                region: "us-east-1".to_string(),
                service: "ec2".to_string(),
            }
        );
        assert!(CredentialScope::parse("AWS4-HMAC-SHA256 Signature=ab").is_err());
    }

    #[test]
    fn reads_the_keys_of_an_assume_role_answer() {
        let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><SessionToken>tok</SessionToken><SecretAccessKey>sec</SecretAccessKey><Expiration>2026-11-30T12:00:00Z</Expiration><AccessKeyId>ASIA1</AccessKeyId></Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let keys = assumed_credentials(xml).expect("keys");
        assert_eq!(keys.access_key_id(), "ASIA1");
        assert_eq!(keys.secret_access_key(), "sec");
        assert_eq!(keys.session_token(), Some("tok"));
        assert!(assumed_credentials("<Error/>").is_none());
    }

    #[test]
    fn a_request_signed_by_unknown_keys_is_refused_not_signed_as_someone_else() {
        let mut request = HttpRequest::new(SdkBody::from("Action=CreateTags&Value=a%20b"));
        let headers = request.headers_mut();
        headers.insert("content-type", "application/x-www-form-urlencoded");
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN/20261130/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=ab",
        );
        let error = resign(&mut request).expect_err("refused");
        assert!(error.to_string().contains("AKIAUNKNOWN"), "{error}");
    }
}
