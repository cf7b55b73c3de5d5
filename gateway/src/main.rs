//! The `porthole` command: `serve` (the default) runs the gateway; `check-config`
//! validates a configuration and explains what it resolves to; the access-model
//! subcommands (`enterprise-role`, `share-folder`, `share-record`, `transfer-record`,
//! `record-permission`, `compliance`, `trash`, …) call a running gateway (see
//! [`porthole_gateway::cli`]).

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use porthole_gateway::config::{Config, Overrides};
use std::path::PathBuf;
use std::process::ExitCode;

/// Porthole: a remote-desktop session-sharing gateway for the Guacamole protocol.
#[derive(Parser, Debug)]
#[command(name = "porthole", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML). Every key has a default; see config/porthole.toml.
    #[arg(long, short, global = true, env = "PORTHOLE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the gateway (the default).
    Serve(ServeArgs),
    /// Validate the configuration and print what it resolves to.
    CheckConfig(ServeArgs),
    /// Access-model administration against a running gateway (share-admin.md §6).
    #[command(flatten)]
    Access(porthole_gateway::cli::AccessCommand),
}

#[derive(Args, Debug, Clone, Default)]
struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 (port 0 picks a free one).
    #[arg(long)]
    listen: Option<String>,
    /// The URL browsers reach Porthole at (share links, allowed WebSocket origin).
    #[arg(long)]
    public_url: Option<String>,
    /// Directory for the embedded database.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL (sqlite://… or postgres://…).
    #[arg(long)]
    database_url: Option<String>,
    /// Log format: human or json.
    #[arg(long)]
    log_format: Option<String>,
}

impl ServeArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            public_url: self.public_url.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format.clone(),
        }
    }
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cfg.log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    // `mkdir NAME -sf` (Keeper's "shared folder") is one flag, not `-s -f`.
    let argv = std::env::args().map(|a| {
        if a == "-sf" {
            "--shared-folder".to_owned()
        } else {
            a
        }
    });
    let cli = Cli::parse_from(argv);
    let (check, args) = match cli.command {
        Some(Command::Serve(a)) => (false, a),
        Some(Command::CheckConfig(a)) => (true, a),
        Some(Command::Access(cmd)) => return access_cli(cmd),
        None => (false, cli.serve.clone()),
    };
    let loaded = Config::load(cli.config.as_deref(), std::env::vars(), &args.overrides())
        .and_then(|c| c.validate().map(|r| (c, r)));
    let (config, resolved) = match loaded {
        Ok(v) => v,
        Err(e) => {
            eprintln!("porthole: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if check {
        return check_config(&config, &resolved);
    }
    init_logging(&config);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("porthole: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<()> = rt.block_on(porthole_gateway::server::run(config, resolved));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("porthole: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an access-model subcommand against a running gateway; exits with the §5 code.
fn access_cli(cmd: porthole_gateway::cli::AccessCommand) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("porthole: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(porthole_gateway::cli::run(cmd));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn check_config(config: &Config, r: &porthole_gateway::config::Resolved) -> ExitCode {
    println!("configuration is valid");
    println!("  listen:      {}", r.listen);
    println!(
        "  public URL:  {}",
        if config.server.public_url.is_empty() {
            "(not set: the listen address's own origin is used)"
        } else {
            &config.server.public_url
        }
    );
    println!(
        "  HTTPS:       {}",
        match &r.tls {
            Some((c, _)) => format!("on, certificate {}", c.display()),
            None => "off".into(),
        }
    );
    println!(
        "  database:    {}",
        porthole_gateway::store::redact(&r.database_url)
    );
    println!(
        "  guacd:       {}:{}{}",
        config.guacd.host,
        config.guacd.port,
        if config.guacd.tls { " (TLS)" } else { "" }
    );
    println!("\neffective configuration:\n");
    let mut shown = config.clone();
    shown.database.url = porthole_gateway::store::redact(&r.database_url);
    match toml::to_string_pretty(&shown) {
        Ok(t) => println!("{t}"),
        Err(e) => eprintln!("(cannot render: {e})"),
    }
    ExitCode::SUCCESS
}
