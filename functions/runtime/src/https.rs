//! The HTTPS clients of every function: rustls over ring, trusting Mozilla's root
//! certificates compiled into the binary.
//!
//! The SDK's default client loads the system's certificate store while the configuration is
//! loaded at cold start: on a machine with a hashed certificate directory that is one file
//! read per root, about half of a bot's init time. AWS endpoints present certificates that
//! chain to these public roots, so the functions need no store from the file system: the roots
//! are parsed from memory, with no I/O, when the client is first configured.
//!
//! The cryptography is ring rather than the SDK's default aws-lc: aws-lc adds 0.6 MB to every
//! function's binary (docs/performance.md), and the functions need no FIPS module or
//! post-quantum key exchange to call AWS's public endpoints.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use base64::Engine;

/// The client every function's AWS configuration uses.
pub fn https_client() -> SharedHttpClient {
    let trust_store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(compiled_in_roots_pem());
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a trust store of compiled-in roots is a valid TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The TLS settings of the HTTPS calls a function makes outside the AWS SDK (the report's
/// CloudGuard feedback): the same cryptography and roots as [`https_client`].
pub fn rustls_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(compiled_in_root_store())
    .with_no_client_auth()
}

/// The compiled-in root certificates as rustls trust anchors.
fn compiled_in_root_store() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    roots
}

/// The compiled-in root certificates as one PEM bundle (the form the client's trust store
/// takes).
fn compiled_in_roots_pem() -> Vec<u8> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut pem = String::new();
    for root in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&base64.encode(root.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    #[test]
    fn the_bundle_holds_every_compiled_in_root_and_amazons() {
        let pem = compiled_in_roots_pem();
        let parsed: Vec<CertificateDer> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .expect("a valid PEM bundle");
        assert_eq!(parsed.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(parsed.len() > 100, "Mozilla's roots: {}", parsed.len());
        // Amazon Root CA 1, which AWS endpoints chain to, by its subject in DER.
        let amazon_root_ca_1 = b"Amazon Root CA 1";
        assert!(parsed
            .iter()
            .any(|cert| cert.windows(16).any(|w| w == amazon_root_ca_1)));
    }

    #[test]
    fn the_feedback_client_trusts_every_compiled_in_root() {
        assert_eq!(
            compiled_in_root_store().len(),
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
        );
    }
}
