//! The accept loop: HTTP/1.1 connections with a header-read timeout, and a
//! graceful shutdown that drains the requests in flight.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::AppState;

/// Serves `state` on `listener` until `shutdown` completes, then stops
/// accepting, lets the requests in flight finish (at most
/// [`ServerOptions::shutdown_grace`](crate::ServerOptions)), flushes the
/// decision log and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_then(listener, state, shutdown, async {}).await
}

/// [`serve`], awaiting `before_close` after the requests in flight are
/// done and before the store is closed: whatever else uses the store (the
/// outbox worker finishing its deliveries under way) records its results
/// first.
pub async fn serve_then(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
    before_close: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let app = crate::router(state.clone());
    let options = state.options().clone();
    let reload = spawn_token_reload(&state);

    // Connections watch this channel: a change starts their graceful
    // shutdown; when every receiver is dropped, all connections are done.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off, go on.
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        let header_timeout = options.header_read_timeout;
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let connection = builder.serve_connection(
                TokioIo::new(crate::protocol_errors::ProblemIo::new(stream)),
                service,
            );
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        debug!(%peer, %error, "connection ended with an error");
                    }
                }
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    if let Err(error) = connection.await {
                        debug!(%peer, %error, "connection ended with an error");
                    }
                }
            }
            drop(stop);
        });
    }
    drop(listener);
    info!("shutting down: draining requests in flight");
    let _ = stop_tx.send(true);
    drop(stop_rx);
    if tokio::time::timeout(options.shutdown_grace, stop_tx.closed())
        .await
        .is_err()
    {
        warn!(
            grace_s = options.shutdown_grace.as_secs_f64(),
            "requests still in flight after the grace period; closing"
        );
    }
    if let Some(reload) = reload {
        reload.abort();
    }
    before_close.await;
    state.store().close().await;
    info!("stopped");
    Ok(())
}

fn spawn_token_reload(state: &AppState) -> Option<JoinHandle<()>> {
    let tokens = state.tokens().clone();
    tokens.path()?;
    let interval = state.options().token_reload_interval;
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match tokens.reload_if_changed() {
                Ok(true) => info!(count = tokens.get().len(), "tokens reloaded"),
                Ok(false) => {}
                Err(error) => {
                    warn!(%error, "tokens file not reloaded; keeping the previous tokens")
                }
            }
        }
    }))
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => info!("Ctrl-C received"),
        () = terminate => info!("SIGTERM received"),
    }
}

/// A server running in a task of the current runtime (tests, examples).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

/// Binds `addr` (e.g. `127.0.0.1:0`) and serves `state` in a new task.
pub async fn spawn(addr: SocketAddr, state: AppState) -> io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
    })
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts down gracefully and waits until the server has stopped and the
    /// store is closed.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) => Err(io::Error::other(error)),
        }
    }
}
