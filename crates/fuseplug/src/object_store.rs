//! Object stores (`fuseplug.object_store`): S3, Google Cloud Storage, Azure Blob Storage, HTTP and the
//! local file system, and the session's registry of them (`SessionContext.register_object_store`).
//!
//! Every store class derives from `ObjectStore`, which holds the built store and the host (bucket,
//! container or `host:port`) it answers for when it is registered without one. Settings not given
//! as arguments come from the environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`), as object_store's
//! `from_env` builders read them. Requests are retried a few times with a short backoff, so a bad
//! endpoint fails in seconds instead of retrying for minutes.

use std::sync::Arc;
use std::time::Duration;

use datafusion::datasource::listing::ListingTableUrl;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use pyo3::prelude::*;
use url::Url;

use crate::context::PySessionContext;
use crate::errors::{Error, Result};

/// Retries for every remote store: a transient failure (a dropped connection, a 5xx, a throttled
/// request) is retried up to 4 times within 15 s, with backoff from 100 ms to 2 s. Client errors
/// (403, 404) are never retried. object_store's default (10 retries within 3 minutes) makes a wrong
/// endpoint look like a hang.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: Duration::from_secs(15),
    }
}

/// A builder's refusal (a key id without its secret, an Azure key that is not base64) is a bad
/// argument.
fn build_error(store: &str, err: object_store::Error) -> Error {
    Error::Value(format!("cannot configure {store}: {err}"))
}

/// The base class of the store classes: what `SessionContext.register_object_store` accepts.
#[pyclass(frozen, subclass, name = "ObjectStore", module = "fuseplug._internal")]
pub struct PyObjectStore {
    pub store: Arc<dyn ObjectStore>,
    /// The URL host the store is registered under when none is given: the bucket, the container,
    /// the HTTP server's `host:port`, or nothing for the local file system.
    pub host: String,
    /// The repr: class and non-secret settings.
    description: String,
}

impl PyObjectStore {
    fn init(
        store: impl ObjectStore,
        host: impl Into<String>,
        description: String,
    ) -> PyClassInitializer<Self> {
        PyClassInitializer::from(Self { store: Arc::new(store), host: host.into(), description })
    }
}

#[pymethods]
impl PyObjectStore {
    /// The host the store is registered under by default (bucket, container or `host:port`).
    #[getter]
    fn default_host(&self) -> &str {
        &self.host
    }

    fn __repr__(&self) -> &str {
        &self.description
    }
}

/// A bucket or container name: empty names are refused up front (the service would answer every
/// request with an error naming no bucket).
fn named(what: &str, name: String) -> Result<String> {
    if name.trim().is_empty() {
        return Err(Error::Value(format!("{what} must not be empty")));
    }
    Ok(name)
}

/// `repr` text: `Class(key=value, ...)` over the settings that are set.
fn describe(class: &str, fields: &[(&str, Option<String>)]) -> String {
    let shown: Vec<String> = fields
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={v:?}")))
        .collect();
    format!("{class}({})", shown.join(", "))
}

/// Where credentials come from, for the repr (never the credentials themselves).
fn credential_source(explicit: bool, kind: &str) -> Option<String> {
    Some(if explicit { kind.to_string() } else { "environment or default chain".to_string() })
}

/// Where an S3 store's credentials come from: arguments, `AWS_*` variables, or the default chain
/// (web identity, container or instance credentials), resolved on first use.
fn s3_credentials(explicit: bool, builder: &AmazonS3Builder) -> Option<String> {
    let from_env = builder.get_config_value(&AmazonS3ConfigKey::AccessKeyId).is_some();
    let source = match (explicit, from_env) {
        (true, _) => "access key",
        (false, true) => "environment",
        (false, false) => "default chain",
    };
    Some(source.to_string())
}

#[pyclass(frozen, extends = PyObjectStore, name = "AmazonS3", module = "fuseplug._internal")]
pub struct PyAmazonS3;

#[pymethods]
impl PyAmazonS3 {
    #[new]
    #[pyo3(signature = (bucket_name, region = None, access_key_id = None, secret_access_key = None, session_token = None, endpoint = None, allow_http = false, imdsv1_fallback = false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        bucket_name: String,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        session_token: Option<String>,
        endpoint: Option<String>,
        allow_http: bool,
        imdsv1_fallback: bool,
    ) -> Result<PyClassInitializer<Self>> {
        let bucket_name = named("bucket_name", bucket_name)?;
        let explicit = access_key_id.is_some() || secret_access_key.is_some();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket_name);
        if let Some(region) = region {
            builder = builder.with_region(region);
        }
        if let Some(key) = access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if let Some(token) = session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        // `False` is the default, so it cannot tell "not given" apart: only `True` overrides the
        // environment (`AWS_ALLOW_HTTP`).
        if allow_http {
            builder = builder.with_allow_http(true);
        }
        if imdsv1_fallback {
            builder = builder.with_imdsv1_fallback();
        }
        let description = describe(
            "AmazonS3",
            &[
                ("bucket_name", Some(bucket_name.clone())),
                ("region", builder.get_config_value(&AmazonS3ConfigKey::Region)),
                ("endpoint", builder.get_config_value(&AmazonS3ConfigKey::Endpoint)),
                ("credentials", s3_credentials(explicit, &builder)),
            ],
        );
        let store =
            builder.with_retry(retry_config()).build().map_err(|e| build_error("AmazonS3", e))?;
        Ok(PyObjectStore::init(store, bucket_name, description).add_subclass(Self))
    }
}

#[pyclass(frozen, extends = PyObjectStore, name = "GoogleCloud", module = "fuseplug._internal")]
pub struct PyGoogleCloud;

#[pymethods]
impl PyGoogleCloud {
    #[new]
    #[pyo3(signature = (bucket_name, service_account_path = None))]
    fn new(
        bucket_name: String,
        service_account_path: Option<String>,
    ) -> Result<PyClassInitializer<Self>> {
        let bucket_name = named("bucket_name", bucket_name)?;
        let explicit = service_account_path.is_some();
        let mut builder = GoogleCloudStorageBuilder::from_env().with_bucket_name(&bucket_name);
        if let Some(path) = service_account_path {
            builder = builder.with_service_account_path(path);
        }
        let description = describe(
            "GoogleCloud",
            &[
                ("bucket_name", Some(bucket_name.clone())),
                ("base_url", builder.get_config_value(&GoogleConfigKey::BaseUrl)),
                ("credentials", credential_source(explicit, "service account file")),
            ],
        );
        let store = builder
            .with_retry(retry_config())
            .build()
            .map_err(|e| build_error("GoogleCloud", e))?;
        Ok(PyObjectStore::init(store, bucket_name, description).add_subclass(Self))
    }
}

/// Azure SAS query pairs: a list of `(key, value)` pairs or a dict.
#[derive(FromPyObject)]
pub enum QueryPairs {
    Pairs(Vec<(String, String)>),
    Dict(std::collections::BTreeMap<String, String>),
}

#[pyclass(frozen, extends = PyObjectStore, name = "MicrosoftAzure", module = "fuseplug._internal")]
pub struct PyMicrosoftAzure;

#[pymethods]
impl PyMicrosoftAzure {
    #[new]
    #[pyo3(signature = (container_name, account = None, access_key = None, bearer_token = None, client_id = None, client_secret = None, tenant_id = None, sas_query_pairs = None, use_emulator = None, allow_http = None, use_fabric_endpoint = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        container_name: String,
        account: Option<String>,
        access_key: Option<String>,
        bearer_token: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        tenant_id: Option<String>,
        sas_query_pairs: Option<QueryPairs>,
        use_emulator: Option<bool>,
        allow_http: Option<bool>,
        use_fabric_endpoint: Option<bool>,
    ) -> Result<PyClassInitializer<Self>> {
        let container_name = named("container_name", container_name)?;
        let credential = if access_key.is_some() {
            Some("access key")
        } else if bearer_token.is_some() {
            Some("bearer token")
        } else if client_secret.is_some() {
            Some("client secret")
        } else if sas_query_pairs.is_some() {
            Some("SAS")
        } else {
            None
        };
        let mut builder = MicrosoftAzureBuilder::from_env().with_container_name(&container_name);
        if let Some(account) = account {
            builder = builder.with_account(account);
        }
        if let Some(key) = access_key {
            builder = builder.with_access_key(key);
        }
        if let Some(token) = bearer_token {
            builder = builder.with_bearer_token_authorization(token);
        }
        if let Some(id) = client_id {
            builder = builder.with_client_id(id);
        }
        if let Some(secret) = client_secret {
            builder = builder.with_client_secret(secret);
        }
        if let Some(tenant) = tenant_id {
            builder = builder.with_tenant_id(tenant);
        }
        if let Some(pairs) = sas_query_pairs {
            let pairs: Vec<(String, String)> = match pairs {
                QueryPairs::Pairs(pairs) => pairs,
                QueryPairs::Dict(dict) => dict.into_iter().collect(),
            };
            builder = builder.with_sas_authorization(pairs);
        }
        if let Some(emulator) = use_emulator {
            builder = builder.with_use_emulator(emulator);
        }
        if let Some(allow) = allow_http {
            builder = builder.with_allow_http(allow);
        }
        if let Some(fabric) = use_fabric_endpoint {
            builder = builder.with_use_fabric_endpoint(fabric);
        }
        let emulated = builder.get_config_value(&AzureConfigKey::UseEmulator);
        let description = describe(
            "MicrosoftAzure",
            &[
                ("container_name", Some(container_name.clone())),
                ("account", builder.get_config_value(&AzureConfigKey::AccountName)),
                ("use_emulator", emulated.filter(|v| v == "true")),
                ("credentials", credential_source(credential.is_some(), credential.unwrap_or(""))),
            ],
        );
        let store = builder
            .with_retry(retry_config())
            .build()
            .map_err(|e| build_error("MicrosoftAzure", e))?;
        Ok(PyObjectStore::init(store, container_name, description).add_subclass(Self))
    }
}

#[pyclass(frozen, extends = PyObjectStore, name = "Http", module = "fuseplug._internal")]
pub struct PyHttp;

#[pymethods]
impl PyHttp {
    /// A read-only store over an HTTP(S) server whose paths are the objects' keys: `url` is the
    /// server's root (`https://example.com`), and URLs read through it are that root plus a path.
    #[new]
    fn new(url: String) -> Result<PyClassInitializer<Self>> {
        let parsed = Url::parse(&url)
            .map_err(|e| Error::Value(format!("Http needs an absolute URL, got {url:?}: {e}")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => {
                return Err(Error::Value(format!("Http needs a URL with a host: {url:?}")));
            }
        };
        // A URL the caller wrote as http:// is meant to be read over plain HTTP.
        let client = ClientOptions::new().with_allow_http(parsed.scheme() == "http");
        let store = HttpBuilder::new()
            .with_url(url.as_str())
            .with_client_options(client)
            .with_retry(retry_config())
            .build()
            .map_err(|e| build_error("Http", e))?;
        let description = describe("Http", &[("url", Some(url))]);
        Ok(PyObjectStore::init(store, host, description).add_subclass(Self))
    }
}

#[pyclass(frozen, extends = PyObjectStore, name = "LocalFileSystem", module = "fuseplug._internal")]
pub struct PyLocalFileSystem;

#[pymethods]
impl PyLocalFileSystem {
    /// The local file system, or only the directory `prefix` (which must exist): a key `a/b.parquet`
    /// is then the file `<prefix>/a/b.parquet`.
    #[new]
    #[pyo3(signature = (prefix = None))]
    fn new(prefix: Option<std::path::PathBuf>) -> Result<PyClassInitializer<Self>> {
        let (store, shown) = match prefix {
            None => (LocalFileSystem::new(), None),
            Some(prefix) => {
                let store = LocalFileSystem::new_with_prefix(&prefix)
                    .map_err(|e| DataFusionError::ObjectStore(Box::new(e)))?;
                (store, Some(prefix.display().to_string()))
            }
        };
        let description = describe("LocalFileSystem", &[("prefix", shown)]);
        Ok(PyObjectStore::init(store, "", description).add_subclass(Self))
    }
}

/// The store URL `scheme://host` that `register_object_store(scheme, store, host)` means. `scheme`
/// may be `"s3"`, `"s3:"` or `"s3://"` (the official bindings' form), and may carry the host itself
/// (`"s3://bucket"`); otherwise `host`, else the store's own (its bucket, container or server).
fn store_url(scheme: &str, host: Option<&str>, default_host: &str) -> Result<Url> {
    let (name, rest) = match scheme.split_once("://") {
        Some((name, rest)) => (name, rest.trim_end_matches('/')),
        None => (scheme.trim_end_matches(':'), ""),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Err(Error::Value(format!(
            "{scheme:?} is not a URL scheme: give one such as \"s3://\", \"gs://\" or \"https://\""
        )));
    }
    let host = match (rest, host) {
        ("", Some(host)) => host,
        ("", None) => default_host,
        (rest, None) => rest,
        (rest, Some(host)) if rest == host => host,
        (rest, Some(host)) => {
            return Err(Error::Value(format!(
                "{scheme:?} already names host {rest:?}, which differs from host={host:?}"
            )));
        }
    };
    let text = format!("{}://{host}", name.to_ascii_lowercase());
    let url =
        Url::parse(&text).map_err(|e| Error::Value(format!("bad store URL {text:?}: {e}")))?;
    if (url.path() != "/" && !url.path().is_empty()) || url.query().is_some() {
        return Err(Error::Value(format!(
            "a store URL is a scheme and a host only, got {text:?} (put the path in the table's URL)"
        )));
    }
    Ok(url)
}

/// Registers `store` for URLs under `scheme://host`; see `store_url`. Returns the URL it is
/// registered under.
#[pyfunction]
#[pyo3(signature = (ctx, scheme, store, host = None))]
pub fn register_object_store(
    ctx: &PySessionContext,
    scheme: &str,
    store: &Bound<'_, PyObjectStore>,
    host: Option<&str>,
) -> Result<String> {
    let store = store.get();
    let url = store_url(scheme, host, &store.host)?;
    ctx.ctx.register_object_store(&url, Arc::clone(&store.store));
    Ok(url.to_string())
}

/// Removes the store registered for `scheme://host`; whether there was one.
#[pyfunction]
#[pyo3(signature = (ctx, scheme, host = None))]
pub fn deregister_object_store(
    ctx: &PySessionContext,
    scheme: &str,
    host: Option<&str>,
) -> Result<bool> {
    let url = store_url(scheme, host, "")?;
    Ok(ctx.ctx.runtime_env().deregister_object_store(&url).is_ok())
}

/// Refuses a location DataFusion cannot parse (a URL with a bad host or port, a malformed glob) with a
/// `ValueError` that names it; DataFusion's own error names neither the location nor its kind.
#[pyfunction]
pub fn check_location(location: &str) -> Result<()> {
    match ListingTableUrl::parse(location) {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Value(format!(
            "{location:?} is not a valid file path or URL: {}",
            e.find_root().strip_backtrace().trim_start_matches("External error: ")
        ))),
    }
}

/// The session's store registry: DataFusion's, with an error for an unregistered URL that says how
/// to register a store (DataFusion's own is an internal error pointing at its Rust API).
#[derive(Debug, Default)]
pub struct Registry {
    inner: DefaultObjectStoreRegistry,
}

pub fn registry() -> Arc<dyn ObjectStoreRegistry> {
    Arc::new(Registry::default())
}

impl ObjectStoreRegistry for Registry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.inner.get_store(url).map_err(|_| DataFusionError::Configuration(unregistered(url)))
    }
}

/// The message for a URL no store is registered for: the scheme and host, and the call that fixes it.
fn unregistered(url: &Url) -> String {
    let scheme = url.scheme();
    let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
    let named = if host.is_empty() { "...".to_string() } else { format!("{host:?}, ...") };
    let store = match scheme {
        "s3" | "s3a" => format!("AmazonS3({named})"),
        "gs" | "gcs" => format!("GoogleCloud({named})"),
        "az" | "adl" | "azure" | "abfs" | "abfss" => format!("MicrosoftAzure({named})"),
        "http" | "https" => format!("Http(\"{scheme}://{host}\")"),
        "file" => "LocalFileSystem()".to_string(),
        _ => "<store>(...)".to_string(),
    };
    let place = if host.is_empty() {
        format!("scheme {scheme:?} (the URL names no bucket or host)")
    } else {
        format!("scheme {scheme:?} and host {host:?}")
    };
    format!(
        "no object store is registered for {place}, so {url} cannot be read or written. Register \
         one with ctx.register_object_store(\"{scheme}://\", fuseplug.object_store.{store}) (stores: \
         AmazonS3, GoogleCloud, MicrosoftAzure, Http, LocalFileSystem), or pass object_store= to \
         the read_* or register_* call"
    )
}

/// Adds the store classes and the registration functions to `fuseplug._internal`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyObjectStore>()?;
    m.add_class::<PyAmazonS3>()?;
    m.add_class::<PyGoogleCloud>()?;
    m.add_class::<PyMicrosoftAzure>()?;
    m.add_class::<PyHttp>()?;
    m.add_class::<PyLocalFileSystem>()?;
    m.add_function(wrap_pyfunction!(register_object_store, m)?)?;
    m.add_function(wrap_pyfunction!(deregister_object_store, m)?)?;
    m.add_function(wrap_pyfunction!(check_location, m)?)?;
    Ok(())
}
