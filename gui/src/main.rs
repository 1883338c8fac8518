//! `radact-gui`: the desktop app. `radact-gui [RUN_DIR] [--runs DIR] [--spaces DIR]` opens the
//! window, optionally with a run directory open.

use radact_gui::RadactApp;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: radact-gui [RUN_DIR] [--runs DIR] [--spaces DIR]

  RUN_DIR        a run directory to open (it is followed while another process writes it)
  --runs DIR     where new runs go and runs are listed from (default: runs)
  --spaces DIR   where search-space files are offered from (default: search-spaces)";

fn main() -> ExitCode {
    let mut runs = PathBuf::from("runs");
    let mut spaces = PathBuf::from("search-spaces");
    let mut open = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--runs" | "--spaces" => {
                let Some(value) = args.next() else {
                    eprintln!("error: {arg} needs a directory\n\n{USAGE}");
                    return ExitCode::from(2);
                };
                if arg == "--runs" {
                    runs = value.into();
                } else {
                    spaces = value.into();
                }
            }
            flag if flag.starts_with('-') => {
                eprintln!("error: unknown option {flag}\n\n{USAGE}");
                return ExitCode::from(2);
            }
            dir if open.is_none() => open = Some(PathBuf::from(dir)),
            extra => {
                eprintln!("error: unexpected argument {extra}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let mut app = RadactApp::new(&runs, &spaces);
    if let Some(dir) = &open {
        app = app.with_run(dir);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("radact")
            .with_inner_size([1500.0, 950.0])
            .with_min_inner_size([900.0, 600.0]),
        ..Default::default()
    };
    match eframe::run_native("radact", options, Box::new(|_| Ok(Box::new(app)))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
