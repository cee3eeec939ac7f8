//! `proxicloud login`: asks for username and password, creates an API token named for
//! this machine and stores it (or stores a given `--token` after checking it).

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use proxicloud_client::Client;
use proxicloud_types::api::tokens::CreateApiTokenRequest;
use secrecy::SecretString;

use super::credentials::{self, Credentials};
use super::{CommandResult, EXIT_CODES_HELP, Failure, output};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct LoginArgs {
    /// The server, e.g. `https://cloud.example.com` or `http://127.0.0.1:8080`.
    #[arg(long)]
    url: String,
    /// Store this existing API token (`pc_…`) instead of logging in with a password.
    /// Prefer `PROXICLOUD_TOKEN` to keep it out of the shell history.
    #[arg(long, env = "PROXICLOUD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Username (asked when left out).
    #[arg(long)]
    username: Option<String>,
    /// Days until the new API token expires (the server's default when left out).
    #[arg(long)]
    expires_in_days: Option<u32>,
}

pub async fn run(args: LoginArgs) -> CommandResult {
    let anonymous = Client::anonymous(&args.url).map_err(|e| Failure::Usage(e.to_string()))?;
    let token = match args.token {
        Some(token) => token,
        None => create_token(&anonymous, args.username, args.expires_in_days).await?,
    };
    let client = anonymous.with_token(token.clone());
    // Proves the token works before anything is stored.
    let me = client.auth().me().await?;
    let path = credentials::save(&Credentials {
        url: client.base_url().as_str().trim_end_matches('/').to_owned(),
        token,
    })?;
    output::line(format_args!(
        "Logged in to {} as {} ({:?}). Credentials saved to {}",
        client.base_url(),
        me.user.username,
        me.user.role,
        path.display()
    ));
    Ok(())
}

/// Logs in with a password, creates the machine's API token, ends the session.
async fn create_token(
    client: &Client,
    username: Option<String>,
    expires_in_days: Option<u32>,
) -> Result<String, Failure> {
    let mut prompt = Prompt::new();
    let username = match username {
        Some(username) => username,
        None => prompt.line("Username: ")?,
    };
    let password = prompt.secret("Password: ")?;
    let session = client.auth().login(&username, password).await?;
    let access = session
        .access_token
        .ok_or_else(|| anyhow::anyhow!("the server returned no access token"))?;
    let session_client = client.with_token(access);
    let request = CreateApiTokenRequest {
        name: token_name(),
        expires_in_days,
    };
    let created = session_client.tokens().create(&request).await?;
    // The API token is what stays; the password session is not needed any more.
    let _ = session_client.auth().logout().await;
    Ok(created.secret)
}

/// `proxicloud-cli@<hostname>`, within the server's 64 characters.
fn token_name() -> String {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let mut name = format!("proxicloud-cli@{host}");
    name.truncate(64);
    name
}

/// Reads answers from the terminal, or line by line from stdin when it is not one
/// (scripts and tests can pipe `username\npassword\n`).
struct Prompt {
    interactive: bool,
}

impl Prompt {
    fn new() -> Self {
        Self {
            interactive: std::io::stdin().is_terminal(),
        }
    }

    fn line(&mut self, question: &str) -> Result<String, Failure> {
        if self.interactive {
            eprint!("{question}");
            std::io::stderr().flush().ok();
        }
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(anyhow::Error::from)?;
        let answer = answer.trim_end_matches(['\r', '\n']).to_owned();
        if answer.is_empty() {
            return Err(Failure::Usage(format!(
                "no answer to '{}'",
                question.trim_end_matches([':', ' '])
            )));
        }
        Ok(answer)
    }

    fn secret(&mut self, question: &str) -> Result<SecretString, Failure> {
        if self.interactive {
            let password = rpassword::prompt_password(question).map_err(anyhow::Error::from)?;
            return Ok(SecretString::from(password));
        }
        self.line(question).map(SecretString::from)
    }
}
