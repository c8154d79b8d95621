//! CI thresholds with dive's semantics: the `.dive-ci` file's `rules`
//! (`lowestEfficiency` / `lowest-efficiency`, `highestWastedBytes` /
//! `highest-wasted-bytes`, `highestUserWastedPercent` /
//! `highest-user-wasted-percent`), dive's defaults (0.9, disabled, 0.1),
//! "disabled"/"off"/"false"/empty to switch a rule off, and dive's
//! comparisons (efficiency < threshold fails; wasted bytes > threshold
//! fails; wasted/user bytes > threshold fails).

use serde::{Deserialize, Serialize};

use super::dive::DiveEfficiency;

/// The three rule values, as text (as dive reads them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiConfig {
    /// Lowest allowed efficiency (0..=1).
    pub lowest_efficiency: String,
    /// Highest allowed wasted bytes (`20MB`, `1GiB`, `1000`).
    pub highest_wasted_bytes: String,
    /// Highest allowed wasted/user-bytes ratio (0..=1).
    pub highest_user_wasted_percent: String,
}

impl Default for CiConfig {
    fn default() -> Self {
        CiConfig {
            lowest_efficiency: "0.9".into(),
            highest_wasted_bytes: "disabled".into(),
            highest_user_wasted_percent: "0.1".into(),
        }
    }
}

/// A rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleStatus {
    /// Within the threshold.
    Pass,
    /// Threshold crossed.
    Fail,
    /// Switched off.
    Disabled,
    /// The configured value is invalid.
    Misconfigured,
}

/// One evaluated rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleResult {
    /// dive's key (`lowestEfficiency`, …).
    pub key: String,
    /// The configured value.
    pub configured: String,
    /// Outcome.
    pub status: RuleStatus,
    /// Explanation.
    pub message: String,
}

/// All rules' outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiResult {
    /// Each rule.
    pub rules: Vec<RuleResult>,
    /// True when no rule failed or is misconfigured.
    pub passed: bool,
}

fn disabled(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "disabled" | "off" | "false"
    )
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Reads the `rules:` block of a `.dive-ci` YAML file over `defaults`
/// (camelCase keys override kebab-case ones, as in dive). Other keys are
/// ignored.
pub fn parse_dive_ci(text: &str, defaults: CiConfig) -> CiConfig {
    let mut config = defaults;
    let mut legacy: [Option<String>; 3] = [None, None, None];
    let mut in_rules = false;
    for raw in text.lines() {
        let line = match raw.find(" #") {
            Some(i) => raw.get(..i).unwrap_or(raw),
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        if !indented {
            in_rules = key.trim() == "rules";
            continue;
        }
        if !in_rules {
            continue;
        }
        let value = unquote(value).to_owned();
        match key.trim() {
            "lowest-efficiency" => config.lowest_efficiency = value,
            "highest-wasted-bytes" => config.highest_wasted_bytes = value,
            "highest-user-wasted-percent" => config.highest_user_wasted_percent = value,
            "lowestEfficiency" => legacy[0] = Some(value),
            "highestWastedBytes" => legacy[1] = Some(value),
            "highestUserWastedPercent" => legacy[2] = Some(value),
            _ => {}
        }
    }
    let [a, b, c] = legacy;
    if let Some(v) = a.filter(|v| !v.is_empty()) {
        config.lowest_efficiency = v;
    }
    if let Some(v) = b.filter(|v| !v.is_empty()) {
        config.highest_wasted_bytes = v;
    }
    if let Some(v) = c.filter(|v| !v.is_empty()) {
        config.highest_user_wasted_percent = v;
    }
    config
}

/// Parses a byte size the way go-humanize's `ParseBytes` does: a number
/// (decimals allowed) and an optional unit, SI (`kB`, `MB`, `M`) = powers
/// of 1000, IEC (`KiB`, `MiB`, `Mi`) = powers of 1024, case-insensitive.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let number: f64 = t.get(..split)?.replace(',', "").parse().ok()?;
    let unit = t.get(split..)?.trim().to_ascii_lowercase();
    let multiplier: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return None,
    };
    let value = number * multiplier;
    (value.is_finite() && value >= 0.0 && value < u64::MAX as f64).then_some(value as u64)
}

fn ratio_rule(key: &str, configured: &str, check: impl Fn(f64) -> (bool, String)) -> RuleResult {
    let mut result = RuleResult {
        key: key.into(),
        configured: configured.into(),
        status: RuleStatus::Disabled,
        message: "rule disabled".into(),
    };
    if disabled(configured) {
        return result;
    }
    match configured.trim().parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => {
            let (fail, message) = check(t);
            result.status = if fail {
                RuleStatus::Fail
            } else {
                RuleStatus::Pass
            };
            result.message = message;
        }
        Ok(t) => {
            result.status = RuleStatus::Misconfigured;
            result.message =
                format!("{key} config value is outside allowed range (0-1), given '{t}'");
        }
        Err(_) => {
            result.status = RuleStatus::Misconfigured;
            result.message = format!("invalid {key} config value, given {configured:?}");
        }
    }
    result
}

/// Evaluates the rules against dive's numbers.
pub fn evaluate(config: &CiConfig, dive: &DiveEfficiency) -> CiResult {
    let efficiency = ratio_rule("lowestEfficiency", &config.lowest_efficiency, |t| {
        (
            t > dive.score,
            format!("image efficiency {:.4} (threshold {t})", dive.score),
        )
    });
    let mut wasted = RuleResult {
        key: "highestWastedBytes".into(),
        configured: config.highest_wasted_bytes.clone(),
        status: RuleStatus::Disabled,
        message: "rule disabled".into(),
    };
    if !disabled(&config.highest_wasted_bytes) {
        match parse_bytes(&config.highest_wasted_bytes) {
            Some(t) => {
                wasted.status = if dive.wasted_bytes > t {
                    RuleStatus::Fail
                } else {
                    RuleStatus::Pass
                };
                wasted.message = format!("wasted bytes {} (threshold {t})", dive.wasted_bytes);
            }
            None => {
                wasted.status = RuleStatus::Misconfigured;
                wasted.message = format!(
                    "invalid highestWastedBytes config value, given {:?}",
                    config.highest_wasted_bytes
                );
            }
        }
    }
    let user = ratio_rule(
        "highestUserWastedPercent",
        &config.highest_user_wasted_percent,
        |t| {
            (
                dive.wasted_user_percent > t,
                format!(
                    "wasted/user bytes {:.4} (threshold {t})",
                    dive.wasted_user_percent
                ),
            )
        },
    );
    let rules = vec![efficiency, wasted, user];
    let passed = rules
        .iter()
        .all(|r| matches!(r.status, RuleStatus::Pass | RuleStatus::Disabled));
    CiResult { rules, passed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dive_ci_files() {
        let text = "---\nplugins:\n  - plugin1\n\nrules:\n  # comment\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20Mb\n  highestUserWastedPercent: \"0.5\"\n  plugin1/rule1: error\n";
        let c = parse_dive_ci(text, CiConfig::default());
        assert_eq!(c.lowest_efficiency, "0.95");
        assert_eq!(c.highest_wasted_bytes, "20Mb");
        assert_eq!(c.highest_user_wasted_percent, "0.5");
        let k = parse_dive_ci("rules:\n  lowest-efficiency: 0.5\n", CiConfig::default());
        assert_eq!(k.lowest_efficiency, "0.5");
        assert_eq!(k.highest_user_wasted_percent, "0.1");
    }

    #[test]
    fn parses_humanized_bytes() {
        assert_eq!(parse_bytes("20Mb"), Some(20_000_000));
        assert_eq!(parse_bytes("20MB"), Some(20_000_000));
        assert_eq!(parse_bytes("1 KiB"), Some(1024));
        assert_eq!(parse_bytes("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_bytes("42"), Some(42));
        assert_eq!(parse_bytes("x"), None);
    }
}
