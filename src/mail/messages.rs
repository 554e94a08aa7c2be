//! The French text of each notice: a subject and a plain-text body, built from what the
//! recipient may see: the contribution's title, its organisation's name, the moderator's
//! reason or comment; never anyone's contact details.

use uuid::Uuid;

use crate::domain::notification::Decision;

/// What a contribution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionKind {
    Initiative,
    Experience,
    /// A change proposed to a published initiative.
    ChangeProposal,
}

/// A contribution as a notice names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub kind: ContributionKind,
    pub id: Uuid,
    /// Its title; a change proposal's is its initiative's.
    pub title: String,
    /// The name of the organisation it was written for, if any.
    pub organisation: Option<String>,
}

/// A message's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Where a contribution is read on the site at `site_url` (`PUBLIC_SITE_URL`):
/// `/contributions/initiatives/<id>`, `/contributions/experiences/<id>` or
/// `/contributions/proposals/<id>`.
pub fn link(site_url: Option<&str>, contribution: &Contribution) -> Option<String> {
    let site = site_url?.trim_end_matches('/');
    let folder = match contribution.kind {
        ContributionKind::Initiative => "initiatives",
        ContributionKind::Experience => "experiences",
        ContributionKind::ChangeProposal => "proposals",
    };
    Some(format!("{site}/contributions/{folder}/{}", contribution.id))
}

/// The words for a kind of contribution, with their agreement.
struct Words {
    /// « l'initiative », « le retour d'expérience »...
    the: &'static str,
    /// « votre initiative »...
    your: &'static str,
    feminine: bool,
}

fn words(kind: ContributionKind) -> Words {
    match kind {
        ContributionKind::Initiative => Words {
            the: "l'initiative",
            your: "votre initiative",
            feminine: true,
        },
        ContributionKind::Experience => Words {
            the: "le retour d'expérience",
            your: "votre retour d'expérience",
            feminine: false,
        },
        ContributionKind::ChangeProposal => Words {
            the: "la proposition de modification de l'initiative",
            your: "votre proposition de modification de l'initiative",
            feminine: true,
        },
    }
}

fn agreed(word: &str, feminine: bool) -> String {
    if feminine {
        format!("{word}e")
    } else {
        word.to_owned()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A title on one line, as a subject needs it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn closing(link: Option<String>, feminine: bool, where_else: &str, why: &str) -> String {
    let it = if feminine { "la" } else { "le" };
    let mut text = match link {
        Some(link) => format!("Pour {it} consulter : {link}\n"),
        None => format!("Vous {it} retrouverez {where_else}.\n"),
    };
    text.push_str(&format!(
        "\n-- \nCommuns\nVous recevez ce message {why}. Vous pouvez choisir les messages que \
         vous recevez dans les préférences de notification de votre compte.\n"
    ));
    text
}

/// The message telling a partner of a moderator's decision on its organisation's
/// contribution.
pub fn decision(
    contribution: &Contribution,
    decision: &Decision,
    link: Option<String>,
) -> Rendered {
    let w = words(contribution.kind);
    let title = one_line(&contribution.title);
    let of_organisation = contribution
        .organisation
        .as_deref()
        .map(|name| format!(" ({name})"))
        .unwrap_or_default();
    let (subject, what) = match decision {
        Decision::Approved => {
            let what = if contribution.kind == ContributionKind::ChangeProposal {
                format!(
                    "{}{of_organisation} a été acceptée par l'équipe de modération : \
                     l'initiative publiée en tient compte désormais.",
                    capitalised(&format!("{} « {title} »", w.the)),
                )
            } else {
                format!(
                    "{}{of_organisation} a été {} par l'équipe de modération : {} est \
                     désormais {} sur Communs.",
                    capitalised(&format!("{} « {title} »", w.the)),
                    agreed("approuvé", w.feminine),
                    if w.feminine { "elle" } else { "il" },
                    agreed("publié", w.feminine),
                )
            };
            let subject = if contribution.kind == ContributionKind::ChangeProposal {
                format!("[Communs] Proposition acceptée : « {title} »")
            } else {
                format!(
                    "[Communs] {} : « {title} »",
                    capitalised(&format!(
                        "{} {}",
                        if w.feminine {
                            "contribution"
                        } else {
                            "retour d'expérience"
                        },
                        agreed("publié", w.feminine)
                    )),
                )
            };
            (subject, what)
        }
        Decision::Rejected { reason } => (
            format!(
                "[Communs] {} non {} : « {title} »",
                capitalised(match contribution.kind {
                    ContributionKind::Initiative => "initiative",
                    ContributionKind::Experience => "retour d'expérience",
                    ContributionKind::ChangeProposal => "proposition",
                }),
                agreed("retenu", w.feminine),
            ),
            format!(
                "{}{of_organisation} n'a pas été {} par l'équipe de modération.\n\n\
                 Motif donné par la modération :\n{reason}",
                capitalised(&format!("{} « {title} »", w.your)),
                agreed("retenu", w.feminine),
            ),
        ),
        Decision::ChangesRequested { comment } => (
            format!("[Communs] Modifications demandées : « {title} »"),
            format!(
                "L'équipe de modération demande des modifications à {} « {title} »{of_organisation} \
                 avant de {} publier.\n\n\
                 Ce qu'il faut changer :\n{comment}\n\n\
                 Vous pouvez {} modifier puis {} soumettre à nouveau.",
                w.your,
                if w.feminine { "la" } else { "le" },
                if w.feminine { "la" } else { "le" },
                if w.feminine { "la" } else { "le" },
            ),
        ),
    };
    let body = format!(
        "Bonjour,\n\n{what}\n\n{}",
        closing(
            link,
            w.feminine,
            "dans les contributions de votre organisation",
            "parce que vous êtes partenaire de l'organisation qui a écrit cette contribution",
        )
    );
    Rendered { subject, body }
}

/// The message telling a moderator or an admin of a contribution submitted for moderation.
pub fn submission(contribution: &Contribution, link: Option<String>) -> Rendered {
    let w = words(contribution.kind);
    let title = one_line(&contribution.title);
    let by = contribution
        .organisation
        .as_deref()
        .map(|name| format!(" par {name}"))
        .unwrap_or_default();
    let subject = format!("[Communs] Nouvelle contribution à modérer : « {title} »");
    let what = format!(
        "{} a été {}{by} et attend une décision de modération.",
        capitalised(&format!("{} « {title} »", w.the)),
        agreed("soumis", w.feminine),
    );
    let body = format!(
        "Bonjour,\n\n{what}\n\n{}",
        closing(
            link,
            w.feminine,
            "dans la file de modération",
            "parce que vous modérez les contributions de Communs",
        )
    );
    Rendered { subject, body }
}

/// One submission as a digest lists it: a line naming it, and the link to it (the body,
/// empty without `PUBLIC_SITE_URL`).
pub fn digest_entry(contribution: &Contribution, link: Option<String>) -> Rendered {
    let w = words(contribution.kind);
    let by = contribution
        .organisation
        .as_deref()
        .map(|name| format!(" par {name}"))
        .unwrap_or_default();
    Rendered {
        subject: format!(
            "{} « {} », {}{by}",
            capitalised(w.the),
            one_line(&contribution.title),
            agreed("soumis", w.feminine),
        ),
        body: link.unwrap_or_default(),
    }
}

/// The digest of the submissions gathered for a moderator, from their entries (see
/// [`digest_entry`]), oldest first.
pub fn digest(entries: &[Rendered]) -> Rendered {
    let count = entries.len();
    let (subject, what) = if count == 1 {
        (
            "[Communs] 1 contribution à modérer".to_owned(),
            "Depuis le dernier récapitulatif, une contribution a été soumise et attend une \
             décision de modération :"
                .to_owned(),
        )
    } else {
        (
            format!("[Communs] {count} contributions à modérer"),
            format!(
                "Depuis le dernier récapitulatif, {count} contributions ont été soumises et \
                 attendent une décision de modération :"
            ),
        )
    };
    let mut body = format!("Bonjour,\n\n{what}\n\n");
    for entry in entries {
        body.push_str(&format!("- {}\n", entry.subject));
        if !entry.body.is_empty() {
            body.push_str(&format!("  {}\n", entry.body));
        }
    }
    body.push_str(
        "\nVous les retrouverez dans la file de modération.\n\n-- \nCommuns\nVous recevez ce \
         récapitulatif quotidien parce que vous modérez les contributions de Communs et l'avez \
         choisi. Vous pouvez recevoir chaque soumission à part, ou aucune, dans les préférences \
         de notification de votre compte.\n",
    );
    Rendered { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initiative() -> Contribution {
        Contribution {
            kind: ContributionKind::Initiative,
            id: Uuid::nil(),
            title: "Jardin partagé\ndes Provinces".to_owned(),
            organisation: Some("AFEV".to_owned()),
        }
    }

    #[test]
    fn an_approval_says_the_initiative_is_published_with_its_link() {
        let link = link(Some("https://communs.exemple.fr/"), &initiative());
        let message = decision(&initiative(), &Decision::Approved, link);
        assert_eq!(
            message.subject,
            "[Communs] Contribution publiée : « Jardin partagé des Provinces »"
        );
        assert!(message.body.contains(
            "L'initiative « Jardin partagé des Provinces » (AFEV) a été approuvée par l'équipe \
             de modération : elle est désormais publiée sur Communs."
        ));
        assert!(message.body.contains(
            "https://communs.exemple.fr/contributions/initiatives/00000000-0000-0000-0000-000000000000"
        ));
    }

    #[test]
    fn a_rejection_gives_the_reason_and_agrees_with_the_kind() {
        let experience = Contribution {
            kind: ContributionKind::Experience,
            ..initiative()
        };
        let message = decision(
            &experience,
            &Decision::Rejected {
                reason: "Doublon d'un retour déjà publié.".to_owned(),
            },
            None,
        );
        assert_eq!(
            message.subject,
            "[Communs] Retour d'expérience non retenu : « Jardin partagé des Provinces »"
        );
        assert!(message.body.contains("n'a pas été retenu par l'équipe"));
        assert!(
            message
                .body
                .contains("Motif donné par la modération :\nDoublon d'un retour déjà publié.")
        );
        assert!(
            message
                .body
                .contains("Vous le retrouverez dans les contributions")
        );
    }

    #[test]
    fn a_submission_names_the_organisation_for_moderators() {
        let message = submission(&initiative(), None);
        assert!(message.body.contains(
            "L'initiative « Jardin partagé des Provinces » a été soumise par AFEV et attend une \
             décision de modération."
        ));
    }

    #[test]
    fn a_digest_lists_each_submission_with_its_link_and_counts_them() {
        let with_link = digest_entry(
            &initiative(),
            Some("https://communs.exemple.fr/contributions/initiatives/0".to_owned()),
        );
        assert_eq!(
            with_link.subject,
            "L'initiative « Jardin partagé des Provinces », soumise par AFEV"
        );
        let without = digest_entry(&initiative(), None);
        let two = digest(&[with_link.clone(), without]);
        assert_eq!(two.subject, "[Communs] 2 contributions à modérer");
        assert!(two.body.contains(
            "- L'initiative « Jardin partagé des Provinces », soumise par AFEV\n  \
             https://communs.exemple.fr/contributions/initiatives/0\n- L'initiative"
        ));
        assert_eq!(
            digest(&[with_link]).subject,
            "[Communs] 1 contribution à modérer"
        );
    }
}
