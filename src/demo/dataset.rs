//! The demo dataset, transcribed from the minutes of the first "goûter-visio" of the urban
//! social development (DSU) professionals of the Grand Est region, held on 14 May 2020.
//! Only what the minutes say is kept: no e-mail, no phone, no invented figures or names.

use entity::enums::{
    Audience, InitiativeLinkKind, MeetingFormat, OrganisationKind, OrganisationRole,
    ParticipantRole, TerritoryKind,
};

use super::model::{
    DemoInitiative, DemoLink, DemoMeeting, DemoOrganisation, DemoParticipant, DemoPosition,
    DemoProfessional, DemoTerritory, DemoTheme,
};

/// The one meeting every initiative was reported at.
const MEETING_SLUG: &str = "gouter-visio-dsu-grand-est-2020-05-14";

/// The context shared by every initiative of the minutes.
const LOCKDOWN: Option<&str> = Some("Confinement COVID-19 (printemps 2020)");

/// First day of the spring 2020 lockdown, used as the start of the initiatives the minutes
/// present as responses to it.
const LOCKDOWN_START: Option<&str> = Some("2020-03-17");

/// The points are those of each territory's chief town (*chef-lieu*), so an initiative on a
/// department sits at its prefecture; the region has none: it is too wide to place anything.
pub static TERRITORIES: &[DemoTerritory] = &[
    DemoTerritory {
        slug: "grand-est",
        name: "Grand Est",
        kind: TerritoryKind::Region,
        official_code: Some("44"),
        parents: &[],
        latitude: None,
        longitude: None,
    },
    DemoTerritory {
        slug: "marne",
        name: "Marne",
        kind: TerritoryKind::Department,
        official_code: Some("51"),
        parents: &["grand-est"],
        latitude: Some(48.957),
        longitude: Some(4.363),
    },
    DemoTerritory {
        slug: "meurthe-et-moselle",
        name: "Meurthe-et-Moselle",
        kind: TerritoryKind::Department,
        official_code: Some("54"),
        parents: &["grand-est"],
        latitude: Some(48.692),
        longitude: Some(6.184),
    },
    DemoTerritory {
        slug: "moselle",
        name: "Moselle",
        kind: TerritoryKind::Department,
        official_code: Some("57"),
        parents: &["grand-est"],
        latitude: Some(49.119),
        longitude: Some(6.176),
    },
    DemoTerritory {
        slug: "bas-rhin",
        name: "Bas-Rhin",
        kind: TerritoryKind::Department,
        official_code: Some("67"),
        parents: &["grand-est"],
        latitude: Some(48.573),
        longitude: Some(7.752),
    },
    DemoTerritory {
        slug: "metz-metropole",
        name: "Metz Métropole",
        kind: TerritoryKind::Intercommunality,
        official_code: Some("200039865"),
        parents: &["moselle"],
        latitude: Some(49.119),
        longitude: Some(6.176),
    },
    // Not named in the minutes, but Illkirch-Graffenstaden belongs to it: it lets a filter on
    // the Strasbourg conurbation find the Illkirch-Graffenstaden participant.
    DemoTerritory {
        slug: "eurometropole-de-strasbourg",
        name: "Eurométropole de Strasbourg",
        kind: TerritoryKind::Intercommunality,
        official_code: Some("246700488"),
        parents: &["bas-rhin"],
        latitude: Some(48.573),
        longitude: Some(7.752),
    },
    DemoTerritory {
        slug: "chalons-en-champagne",
        name: "Châlons-en-Champagne",
        kind: TerritoryKind::Municipality,
        official_code: Some("51108"),
        parents: &["marne"],
        latitude: Some(48.9566),
        longitude: Some(4.3631),
    },
    DemoTerritory {
        slug: "vitry-le-francois",
        name: "Vitry-le-François",
        kind: TerritoryKind::Municipality,
        official_code: Some("51649"),
        parents: &["marne"],
        latitude: Some(48.7247),
        longitude: Some(4.5853),
    },
    DemoTerritory {
        slug: "metz",
        name: "Metz",
        kind: TerritoryKind::Municipality,
        official_code: Some("57463"),
        parents: &["moselle", "metz-metropole"],
        latitude: Some(49.1193),
        longitude: Some(6.1757),
    },
    DemoTerritory {
        slug: "illkirch-graffenstaden",
        name: "Illkirch-Graffenstaden",
        kind: TerritoryKind::Municipality,
        official_code: Some("67218"),
        parents: &["bas-rhin", "eurometropole-de-strasbourg"],
        latitude: Some(48.5297),
        longitude: Some(7.7147),
    },
];

pub static THEMES: &[DemoTheme] = &[
    // Top-level themes.
    DemoTheme {
        slug: "inclusion-numerique",
        name: "Inclusion numérique",
        description: "Réduire la fracture numérique : équipement, connexion et usages du numérique \
                      pour les habitants des quartiers.",
        parent: None,
        position: 1,
    },
    DemoTheme {
        slug: "education-et-reussite-educative",
        name: "Éducation et réussite éducative",
        description: "Soutenir la scolarité et la réussite éducative des enfants et des jeunes, \
                      en lien avec les familles et l'école.",
        parent: None,
        position: 2,
    },
    DemoTheme {
        slug: "lien-social-et-acces-aux-droits",
        name: "Lien social et accès aux droits",
        description: "Garder le contact avec les habitants, rompre l'isolement, informer et \
                      orienter vers les aides et les droits.",
        parent: None,
        position: 3,
    },
    DemoTheme {
        slug: "solidarites",
        name: "Solidarités",
        description: "Réponses solidaires aux besoins essentiels des habitants, portées par les \
                      collectivités, les associations et les citoyens.",
        parent: None,
        position: 4,
    },
    DemoTheme {
        slug: "cooperation-et-partenariats",
        name: "Coopération et partenariats",
        description: "Travailler ensemble entre institutions, services et associations : \
                      coordination, interconnaissance, dynamiques partenariales.",
        parent: None,
        position: 5,
    },
    DemoTheme {
        slug: "cadre-de-vie-et-commerce-de-proximite",
        name: "Cadre de vie et commerce de proximité",
        description: "Vie quotidienne dans les quartiers : espaces, services et commerces de \
                      proximité.",
        parent: None,
        position: 6,
    },
    // Sub-themes of "Inclusion numérique".
    DemoTheme {
        slug: "acces-au-materiel-et-a-la-connexion",
        name: "Accès au matériel et à la connexion",
        description: "Fournir ordinateurs, tablettes et solutions de connexion aux foyers qui en \
                      sont dépourvus.",
        parent: Some("inclusion-numerique"),
        position: 1,
    },
    // Sub-themes of "Éducation et réussite éducative".
    DemoTheme {
        slug: "continuite-pedagogique",
        name: "Continuité pédagogique",
        description: "Permettre aux élèves de poursuivre leurs apprentissages quand l'école ne \
                      peut les accueillir.",
        parent: Some("education-et-reussite-educative"),
        position: 1,
    },
    DemoTheme {
        slug: "accompagnement-scolaire",
        name: "Accompagnement scolaire",
        description: "Aide aux devoirs, soutien et suivi des élèves en dehors du temps scolaire.",
        parent: Some("education-et-reussite-educative"),
        position: 2,
    },
    // Sub-themes of "Lien social et accès aux droits".
    DemoTheme {
        slug: "maintien-du-lien-avec-les-habitants",
        name: "Maintien du lien avec les habitants",
        description: "Garder le contact avec les familles, les enfants et les personnes isolées, \
                      notamment à distance.",
        parent: Some("lien-social-et-acces-aux-droits"),
        position: 1,
    },
    DemoTheme {
        slug: "prevention-des-violences-intrafamiliales",
        name: "Prévention des violences intrafamiliales",
        description: "Informer sur les recours et les contacts d'urgence, prévenir et repérer les \
                      violences au sein des familles.",
        parent: Some("lien-social-et-acces-aux-droits"),
        position: 2,
    },
    DemoTheme {
        slug: "vie-associative",
        name: "Vie associative",
        description: "Soutenir les associations des quartiers et la poursuite de leurs activités.",
        parent: Some("lien-social-et-acces-aux-droits"),
        position: 3,
    },
    // Sub-themes of "Solidarités".
    DemoTheme {
        slug: "aide-alimentaire",
        name: "Aide alimentaire",
        description: "Repas, paniers et petits-déjeuners pour les habitants qui en ont besoin.",
        parent: Some("solidarites"),
        position: 1,
    },
    DemoTheme {
        slug: "confection-de-masques",
        name: "Confection de masques",
        description: "Fabrication et distribution de masques, bénévole ou organisée.",
        parent: Some("solidarites"),
        position: 2,
    },
    DemoTheme {
        slug: "mobilisation-citoyenne-et-benevole",
        name: "Mobilisation citoyenne et bénévole",
        description: "Mouvements citoyens de solidarité, engagement bénévole des habitants, des \
                      jeunes et des acteurs locaux.",
        parent: Some("solidarites"),
        position: 3,
    },
];

pub static ORGANISATIONS: &[DemoOrganisation] = &[
    DemoOrganisation {
        slug: "ville-de-chalons-en-champagne",
        name: "Ville de Châlons-en-Champagne",
        kind: OrganisationKind::LocalAuthority,
        territory: Some("chalons-en-champagne"),
        website: None,
        description: "Commune de la Marne ; représentée au goûter-visio du 14 mai 2020 au titre \
                      de la politique de la ville.",
    },
    DemoOrganisation {
        slug: "ville-d-illkirch-graffenstaden",
        name: "Ville d'Illkirch-Graffenstaden",
        kind: OrganisationKind::LocalAuthority,
        territory: Some("illkirch-graffenstaden"),
        website: None,
        description: "Commune du Bas-Rhin, membre de l'Eurométropole de Strasbourg ; représentée \
                      au goûter-visio du 14 mai 2020 par sa direction des solidarités.",
    },
    // Charline Guirnao is "Coordinatrice REP": a post of the Éducation nationale, not of the
    // municipality, hence a state service located in Vitry-le-François.
    DemoOrganisation {
        slug: "education-nationale-rep-vitry-le-francois",
        name: "Éducation nationale — coordination REP de Vitry-le-François",
        kind: OrganisationKind::StateService,
        territory: Some("vitry-le-francois"),
        website: None,
        description: "Coordination du réseau d'éducation prioritaire (REP) de l'Éducation \
                      nationale à Vitry-le-François.",
    },
    DemoOrganisation {
        slug: "ville-de-metz",
        name: "Ville de Metz",
        kind: OrganisationKind::LocalAuthority,
        territory: Some("metz"),
        website: None,
        description: "Commune de la Moselle ; représentée au goûter-visio du 14 mai 2020 au titre \
                      de la cohésion sociale.",
    },
    DemoOrganisation {
        slug: "metz-metropole",
        name: "Metz Métropole",
        kind: OrganisationKind::LocalAuthority,
        territory: Some("metz-metropole"),
        website: None,
        description: "Intercommunalité de l'agglomération messine ; représentée au goûter-visio \
                      du 14 mai 2020 au titre de la rénovation urbaine.",
    },
    DemoOrganisation {
        slug: "conseil-departemental-de-meurthe-et-moselle",
        name: "Conseil départemental de Meurthe-et-Moselle",
        kind: OrganisationKind::LocalAuthority,
        territory: Some("meurthe-et-moselle"),
        website: None,
        description: "Département de Meurthe-et-Moselle (CD 54) ; représenté au goûter-visio du \
                      14 mai 2020 au titre des démarches participatives.",
    },
    DemoOrganisation {
        slug: "caf-du-bas-rhin",
        name: "CAF du Bas-Rhin",
        kind: OrganisationKind::PublicBody,
        territory: Some("bas-rhin"),
        website: None,
        description: "Caisse d'allocations familiales du Bas-Rhin (CAF 67).",
    },
    DemoOrganisation {
        slug: "afev",
        name: "AFEV — Association de la fondation étudiante pour la ville",
        kind: OrganisationKind::Association,
        territory: None,
        website: Some("https://afev.org"),
        description: "Association nationale qui mobilise des étudiants bénévoles, notamment pour \
                      le mentorat d'enfants et de jeunes des quartiers populaires.",
    },
    DemoOrganisation {
        slug: "citoyens-et-territoires-grand-est",
        name: "Citoyens et Territoires Grand Est",
        kind: OrganisationKind::ResourceCentre,
        territory: Some("grand-est"),
        website: Some("https://citoyensterritoires.fr"),
        description: "Centre de ressources régional du développement territorial et de la \
                      politique de la ville ; anime le réseau des professionnel·les du \
                      développement social urbain (DSU) du Grand Est et ses goûters-visio.",
    },
    DemoOrganisation {
        slug: "irdsu",
        name: "IRDSU — Inter-réseaux des professionnels du développement social urbain",
        kind: OrganisationKind::Network,
        territory: None,
        website: Some("https://www.irdsu.net"),
        description: "Réseau national des professionnel·les du développement social urbain ; \
                      met à disposition des ressources que chacun peut consulter et alimenter \
                      de ses initiatives.",
    },
];

pub static PROFESSIONALS: &[DemoProfessional] = &[
    DemoProfessional {
        slug: "severine-aubry",
        given_name: "Séverine",
        family_name: "Aubry",
        positions: &[DemoPosition {
            organisation: "ville-de-chalons-en-champagne",
            job_title: "Politique de la ville",
            field: Some("politique de la ville"),
            territory: Some("chalons-en-champagne"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "christine-chevallay",
        given_name: "Christine",
        family_name: "Chevallay",
        positions: &[DemoPosition {
            organisation: "ville-d-illkirch-graffenstaden",
            job_title: "Directrice des solidarités",
            field: Some("solidarités"),
            territory: Some("illkirch-graffenstaden"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "charline-guirnao",
        given_name: "Charline",
        family_name: "Guirnao",
        positions: &[DemoPosition {
            organisation: "education-nationale-rep-vitry-le-francois",
            job_title: "Coordinatrice REP",
            field: Some("éducation prioritaire"),
            territory: Some("vitry-le-francois"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "julie-parachini",
        given_name: "Julie",
        family_name: "Parachini",
        positions: &[DemoPosition {
            organisation: "ville-de-metz",
            job_title: "Cohésion sociale",
            field: Some("cohésion sociale"),
            territory: Some("metz"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "julien-piquand",
        given_name: "Julien",
        family_name: "Piquand",
        positions: &[DemoPosition {
            organisation: "metz-metropole",
            job_title: "Rénovation urbaine",
            field: Some("rénovation urbaine"),
            territory: Some("metz-metropole"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "marie-helene-pourel",
        given_name: "Marie-Hélène",
        family_name: "Pourel",
        positions: &[DemoPosition {
            organisation: "conseil-departemental-de-meurthe-et-moselle",
            job_title: "Démarches participatives",
            field: Some("participation citoyenne"),
            territory: Some("meurthe-et-moselle"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "claire-poinsignon",
        given_name: "Claire",
        family_name: "Poinsignon",
        positions: &[DemoPosition {
            organisation: "citoyens-et-territoires-grand-est",
            job_title: "Animatrice du réseau DSU Grand Est",
            field: Some("développement social urbain"),
            territory: Some("grand-est"),
            started_on: None,
        }],
    },
    DemoProfessional {
        slug: "johan-chanal",
        given_name: "Johan",
        family_name: "Chanal",
        positions: &[DemoPosition {
            organisation: "citoyens-et-territoires-grand-est",
            job_title: "Animateur du réseau DSU Grand Est",
            field: Some("développement social urbain"),
            territory: Some("grand-est"),
            started_on: None,
        }],
    },
];

pub static MEETINGS: &[DemoMeeting] = &[DemoMeeting {
    slug: MEETING_SLUG,
    title: "1er goûter-visio des professionnel·les du DSU du Grand Est",
    held_on: "2020-05-14",
    format: MeetingFormat::Video,
    organiser: Some("citoyens-et-territoires-grand-est"),
    agenda: "Les mille et une manières dont vous avez continué à être acteur·trice de \
             développement social urbain durant cette période de confinement.",
    summary: r#"## Préambule

Le confinement a entraîné des contraintes auxquelles nous n'étions pas préparés. S'est ajoutée aux nécessités de gestes barrières l'impossibilité de les respecter : pas de masques, sous-effectifs, consignes changeantes de semaine en semaine, difficultés de connexion numérique ou accès impossible aux serveurs… Pourtant, il s'est passé des choses : mouvements citoyens de solidarité, parfois accompagnés par les collectivités territoriales (parfois pas du tout), initiatives des collectivités, des associations…

Durant le confinement, malgré les conditions, vous avez continué des accompagnements de jeunes, de familles, vous avez continué des suivis de projets, vous avez peut-être renforcé des partenariats ou intégré de nouveaux réseaux… À travers ces initiatives, par la force des choses, vos pratiques ont été différentes. Vos modes de communication, d'intervention, d'organisation ont été remodelés (complètement ou partiellement). Peut-être même que vos postures ont changé. Certains changements n'auront que la durée de la crise que nous traversons, d'autres vont peut-être s'inscrire dans la durée.

Parlez-nous de ces initiatives…

## Ce qui ressort des témoignages des participant·es

### Coopérations : « On a fait du commun »

- Beaucoup de bidouillage et d'adaptation à une situation inédite, qui a amené les acteurs, collectivement et volontairement, à parfois « faire fi » de certains cadres habituels et de certaines contraintes connues : utilisation des réseaux sociaux pour entrer en relation avec les familles, non-considération systématique des consignes de la CNIL.
- Là où l'interconnaissance entre les acteurs et des habitudes de travail en commun préexistaient, les coopérations semblent avoir été plus fluides, plus opérantes et efficaces.
- Les difficultés de coordination ont parfois été plus grandes du fait du confinement, surtout lorsqu'y étaient impliquées des familles à faibles ressources, sous-équipées en informatique (matériel et/ou connexion).

### Accompagnement des habitants : « On a maintenu le lien là où il fallait »

- Déploiement d'approches nouvelles pour maintenir le lien avec les plus isolés, avec les enfants risquant de décrocher…
- La relation aux usagers, aux familles… a parfois connu des formes de « proximité humaine » plus remarquables qu'auparavant.
- Obstacle parfois rencontré face à des questions éthiques liées au partage (urgent) de contacts et de coordonnées de familles.

### Dynamiques locales : « La campagne électorale aurait-elle constitué un terreau propice ? »

- Des territoires où l'initiative associative et/ou citoyenne a précédé l'initiative de la collectivité (et l'inverse ailleurs).
- Des territoires où l'entre-deux-tours des municipales justifie(ra)it les élans des uns et des autres (campagne oblige !).

## Initiatives thématiques

### Permettre l'accès à internet pour les élèves

- Repérage des familles avec enfants scolarisés en difficulté d'accès au numérique, puis fourniture de matériel (plusieurs dizaines d'ordinateurs, tablettes…), mais aussi de formules d'abonnement internet via des clés 3G, ouverture d'accès à la box des voisins ou paiement d'abonnements.
- La CAF 67, en lien avec les établissements scolaires, a ciblé des familles auxquelles fournir du matériel informatique.

### Préservation et développement des contacts, du lien avec la population

- En partenariat entre services de l'Éducation nationale (coordination REP…) et services municipaux (réussite éducative…), harmonisation des prises de contact individualisées des enfants allophones, des familles aux situations préoccupantes…
- Contacts pris pour dédramatiser la situation.
- Dès le début du confinement, contacts pris auprès de toutes les associations intervenant dans les QPV pour « prendre le pouls », connaître les projets, communiquer des contacts utiles.
- Un club d'échecs a continué régulièrement ses interventions en mode virtuel (concours, séances d'enseignement, aide au téléchargement de logiciel, diffusion de questionnaire…).
- Une newsletter créée durant le confinement autour d'une copropriété.
- Développement du mentorat à distance par l'AFEV (au niveau national, et donc sur certains territoires du Grand Est).
- Après observation du regain de violences intrafamiliales, diffusion sur une « application jeunes » des informations relatives aux contacts d'urgence, numéro vert…

### Solidarités

- À l'initiative d'une association de commerçants, en coopération avec le Conseil départemental, et avec la contribution active de jeunes en lien avec le service de prévention, livraison de petits-déjeuners sur le palier des familles les plus isolées (beaucoup d'hommes sous dépendances, et de personnes âgées). Continuité avec le déconfinement via une association de « femmes actives ».
- Confection de masques : des dynamiques remarquables observées un peu partout, tantôt solidaires et bénévoles, tantôt organisées par une entreprise d'insertion, avec des salariés dédiés.
- Confection et livraison de paniers solidaires avec un CCAS et des producteurs locaux, ou de repas aux collégiens par un conseil départemental.

### Divers

- Maintien du marché local sur un QPV d'une commune.
- Réflexion entamée quant aux modalités de l'accompagnement scolaire dans l'après COVID-19.

## Ce qu'on souhaite réfléchir lors d'un prochain rendez-vous

- Conditions de la rentrée scolaire ? Quel été dans les quartiers ?
- Dans le cadre de la politique de la ville demain, quelles priorités ? Place de l'inclusion numérique (matériel, connexion, formation) ? La participation citoyenne ? Quelle pérennité des « super-initiatives » observées ?
- Organisation de « logements SAS » pour permettre de « déconfiner » temporairement de sa famille.
- Comment faire perdurer (ou relancer, selon les territoires) les dynamiques partenariales ?

## Pour conclure

Les ressources de l'IRDSU ([irdsu.net](https://www.irdsu.net)) : vous pouvez vous en inspirer, y puiser des idées, mais aussi les alimenter de vos initiatives et expériences.
"#,
    participants: &[
        DemoParticipant {
            professional: "severine-aubry",
            role: ParticipantRole::Participant,
            job_title: "Politique de la ville",
        },
        DemoParticipant {
            professional: "christine-chevallay",
            role: ParticipantRole::Participant,
            job_title: "Directrice des solidarités",
        },
        DemoParticipant {
            professional: "charline-guirnao",
            role: ParticipantRole::Participant,
            job_title: "Coordinatrice REP",
        },
        DemoParticipant {
            professional: "julie-parachini",
            role: ParticipantRole::Participant,
            job_title: "Cohésion sociale",
        },
        DemoParticipant {
            professional: "julien-piquand",
            role: ParticipantRole::Participant,
            job_title: "Rénovation urbaine",
        },
        DemoParticipant {
            professional: "marie-helene-pourel",
            role: ParticipantRole::Participant,
            job_title: "Démarches participatives",
        },
        DemoParticipant {
            professional: "claire-poinsignon",
            role: ParticipantRole::Facilitator,
            job_title: "Animatrice du réseau DSU Grand Est",
        },
        DemoParticipant {
            professional: "johan-chanal",
            role: ParticipantRole::Facilitator,
            job_title: "Animateur du réseau DSU Grand Est",
        },
    ],
    topics: &[
        "Conditions de la rentrée scolaire ?",
        "Quel été dans les quartiers ?",
        "Dans le cadre de la politique de la ville demain, quelles priorités ? Place de \
         l'inclusion numérique (matériel, connexion, formation) ? La participation citoyenne ? \
         Quelle pérennité des « super-initiatives » observées ?",
        "Organisation de « logements SAS » pour permettre de « déconfiner » temporairement de \
         sa famille",
        "Comment faire perdurer (ou relancer, selon les territoires) les dynamiques \
         partenariales ?",
    ],
}];

// Territories of the initiatives: the minutes pool the testimonies and rarely say where an
// initiative took place. An initiative is linked to a department only when the minutes name
// its organisation (CAF 67 → Bas-Rhin); otherwise to the Grand Est region, the scope of the
// network whose members reported it.
//
// Start dates: 2020-03-17 (first day of the lockdown) for the initiatives the minutes present
// as responses to the lockdown; `None` when they existed before (AFEV mentoring, the local
// market), started later (after a rise in domestic violence was observed) or look beyond it.
pub static INITIATIVES: &[DemoInitiative] = &[
    DemoInitiative {
        slug: "acces-internet-eleves-confinement",
        title: "Permettre l'accès à internet des élèves pendant le confinement",
        summary: "Repérage des familles avec enfants scolarisés en difficulté d'accès au \
                  numérique, puis fourniture de matériel (plusieurs dizaines d'ordinateurs, \
                  tablettes…) et de solutions de connexion : abonnements via des clés 3G, \
                  ouverture d'accès à la box des voisins ou paiement d'abonnements internet.",
        description: "Pendant le confinement, les familles avec enfants scolarisés en difficulté \
                      d'accès au numérique ont d'abord été repérées.\n\n\
                      Elles ont ensuite reçu du matériel (plusieurs dizaines d'ordinateurs, \
                      tablettes…) et des solutions de connexion :\n\n\
                      - formules d'abonnement internet via des clés 3G ;\n\
                      - ouverture d'accès à la box des voisins ;\n\
                      - paiement d'abonnements.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Children, Audience::Families],
        outcomes: None,
        continuation: None,
        themes: &[
            "acces-au-materiel-et-a-la-connexion",
            "continuite-pedagogique",
        ],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "caf-67-materiel-informatique-familles",
        title: "Matériel informatique pour des familles ciblées avec les établissements \
                scolaires (CAF 67)",
        summary: "La CAF du Bas-Rhin (CAF 67), en lien avec les établissements scolaires, a \
                  ciblé des familles auxquelles fournir du matériel informatique pendant le \
                  confinement.",
        description: "Pour permettre l'accès à internet des élèves pendant le confinement, la \
                      **CAF du Bas-Rhin** (CAF 67) a travaillé en lien avec les établissements \
                      scolaires pour cibler des familles auxquelles fournir du matériel \
                      informatique.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Families, Audience::Children],
        outcomes: None,
        continuation: None,
        themes: &[
            "acces-au-materiel-et-a-la-connexion",
            "continuite-pedagogique",
        ],
        territories: &["bas-rhin"],
        organisations: &[("caf-du-bas-rhin", OrganisationRole::Lead)],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "contacts-harmonises-enfants-allophones-familles",
        title: "Prises de contact harmonisées avec les enfants allophones et les familles en \
                situation préoccupante",
        summary: "En partenariat entre les services de l'Éducation nationale (coordination \
                  REP…) et les services municipaux (réussite éducative…), harmonisation des \
                  prises de contact individualisées des enfants allophones, des familles aux \
                  situations préoccupantes…",
        description: "Pendant le confinement, les services de l'Éducation nationale \
                      (coordination REP…) et les services municipaux (réussite éducative…) ont \
                      harmonisé leurs prises de contact individualisées avec les enfants \
                      allophones, les familles aux situations préoccupantes…",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Children, Audience::Allophones, Audience::Families],
        outcomes: None,
        continuation: None,
        themes: &[
            "maintien-du-lien-avec-les-habitants",
            "cooperation-et-partenariats",
        ],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "contacts-pour-dedramatiser-la-situation",
        title: "Des prises de contact pour dédramatiser la situation",
        summary: "Pendant le confinement, des contacts ont été pris avec la population pour \
                  dédramatiser la situation.",
        description: "Pour préserver le lien avec la population pendant le confinement, des \
                      contacts ont été pris afin de dédramatiser la situation.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &["maintien-du-lien-avec-les-habitants"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "contacts-associations-qpv-debut-confinement",
        title: "Prendre le pouls des associations des quartiers prioritaires",
        summary: "Dès le début du confinement, contacts pris auprès de toutes les associations \
                  intervenant dans les QPV pour « prendre le pouls », connaître leurs projets \
                  et leur communiquer des contacts utiles.",
        description: "Dès le début du confinement, toutes les associations intervenant dans les \
                      quartiers prioritaires de la politique de la ville (QPV) ont été \
                      contactées, pour :\n\n\
                      - « prendre le pouls » ;\n\
                      - connaître leurs projets ;\n\
                      - leur communiquer des contacts utiles.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Professionals],
        outcomes: None,
        continuation: None,
        themes: &["vie-associative", "cooperation-et-partenariats"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "club-d-echecs-en-mode-virtuel",
        title: "Un club d'échecs qui continue ses interventions en mode virtuel",
        summary: "Pendant le confinement, un club d'échecs a continué régulièrement ses \
                  interventions en mode virtuel : concours, séances d'enseignement, aide au \
                  téléchargement de logiciel, diffusion de questionnaire…",
        description: "Un club d'échecs a continué régulièrement ses interventions pendant le \
                      confinement, en mode virtuel :\n\n\
                      - concours ;\n\
                      - séances d'enseignement ;\n\
                      - aide au téléchargement de logiciel ;\n\
                      - diffusion de questionnaire…",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &["vie-associative", "maintien-du-lien-avec-les-habitants"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "newsletter-copropriete",
        title: "Une newsletter autour d'une copropriété",
        summary: "Une newsletter a été créée durant le confinement autour d'une copropriété.",
        description: "Pour préserver le lien avec les habitants, une newsletter a été créée \
                      durant le confinement autour d'une copropriété.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &["maintien-du-lien-avec-les-habitants"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "mentorat-a-distance-afev",
        title: "Mentorat à distance par l'AFEV",
        summary: "L'AFEV a développé le mentorat à distance pendant le confinement, au niveau \
                  national et donc sur certains territoires du Grand Est.",
        description: "Pendant le confinement, l'**AFEV** (Association de la fondation \
                      étudiante pour la ville) a développé le mentorat à distance. Ce \
                      développement a eu lieu au niveau national, et donc sur certains \
                      territoires du Grand Est.",
        started_on: None,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Children, Audience::Youth],
        outcomes: None,
        continuation: None,
        themes: &[
            "education-et-reussite-educative",
            "maintien-du-lien-avec-les-habitants",
        ],
        territories: &["grand-est"],
        organisations: &[("afev", OrganisationRole::Lead)],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "contacts-urgence-violences-intrafamiliales-application-jeunes",
        title: "Contacts d'urgence contre les violences intrafamiliales diffusés sur une \
                application jeunes",
        summary: "Après observation du regain de violences intrafamiliales pendant le \
                  confinement, diffusion sur une « application jeunes » des informations \
                  relatives aux contacts d'urgence, numéro vert…",
        description: "Un regain de violences intrafamiliales a été observé pendant le \
                      confinement. En réponse, les informations relatives aux contacts \
                      d'urgence, au numéro vert… ont été diffusées sur une « application \
                      jeunes ».",
        started_on: None,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Youth],
        outcomes: None,
        continuation: None,
        themes: &["prevention-des-violences-intrafamiliales"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "petits-dejeuners-livres-familles-isolees",
        title: "Petits-déjeuners livrés sur le palier des familles les plus isolées",
        summary: "À l'initiative d'une association de commerçants, en coopération avec le \
                  Conseil départemental et avec la contribution active de jeunes en lien avec \
                  le service de prévention, livraison de petits-déjeuners sur le palier des \
                  familles les plus isolées (beaucoup d'hommes sous dépendances et de \
                  personnes âgées).",
        description: "Pendant le confinement, une **association de commerçants** a pris \
                      l'initiative de livrer des petits-déjeuners sur le palier des familles \
                      les plus isolées, parmi lesquelles beaucoup d'hommes sous dépendances et \
                      de personnes âgées.\n\n\
                      L'action a été menée en coopération avec le Conseil départemental, avec \
                      la contribution active de jeunes en lien avec le service de prévention.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::IsolatedPeople, Audience::Elderly],
        outcomes: None,
        continuation: Some(
            "Continuité assurée avec le déconfinement via une association de « femmes \
             actives ».",
        ),
        themes: &["aide-alimentaire", "mobilisation-citoyenne-et-benevole"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "confection-de-masques",
        title: "Confection de masques",
        summary: "Confection de masques : des dynamiques remarquables observées un peu partout \
                  pendant le confinement, tantôt solidaires et bénévoles, tantôt organisées par \
                  une entreprise d'insertion avec des salariés dédiés.",
        description: "Pendant le confinement, des dynamiques remarquables de confection de \
                      masques ont été observées un peu partout :\n\n\
                      - tantôt solidaires et bénévoles ;\n\
                      - tantôt organisées par une entreprise d'insertion, avec des salariés \
                      dédiés.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &[
            "confection-de-masques",
            "mobilisation-citoyenne-et-benevole",
        ],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "paniers-solidaires-ccas-producteurs-locaux",
        title: "Paniers solidaires avec un CCAS et des producteurs locaux",
        summary: "Confection et livraison de paniers solidaires pendant le confinement, avec un \
                  CCAS et des producteurs locaux.",
        description: "Pendant le confinement, des paniers solidaires ont été confectionnés et \
                      livrés avec un centre communal d'action sociale (CCAS) et des producteurs \
                      locaux.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &["aide-alimentaire"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "repas-collegiens-conseil-departemental",
        title: "Repas pour les collégiens par un conseil départemental",
        summary: "Confection et livraison de repas aux collégiens par un conseil départemental \
                  pendant le confinement.",
        description: "Pendant le confinement, un conseil départemental a assuré la confection \
                      et la livraison de repas aux collégiens.",
        started_on: LOCKDOWN_START,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Youth],
        outcomes: None,
        continuation: None,
        themes: &["aide-alimentaire"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "maintien-marche-local-qpv",
        title: "Maintien du marché local dans un quartier prioritaire",
        summary: "Le marché local d'un quartier prioritaire de la politique de la ville (QPV) \
                  d'une commune a été maintenu pendant le confinement.",
        description: "Dans une commune, le marché local d'un quartier prioritaire de la \
                      politique de la ville (QPV) a été maintenu pendant le confinement.",
        started_on: None,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Inhabitants],
        outcomes: None,
        continuation: None,
        themes: &["cadre-de-vie-et-commerce-de-proximite"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
    DemoInitiative {
        slug: "reflexion-accompagnement-scolaire-apres-covid",
        title: "Réflexion sur l'accompagnement scolaire après la COVID-19",
        summary: "Une réflexion a été entamée quant aux modalités de l'accompagnement scolaire \
                  dans l'après COVID-19.",
        description: "À la suite du confinement, une réflexion a été entamée quant aux \
                      modalités de l'accompagnement scolaire dans l'après COVID-19.",
        started_on: None,
        ended_on: None,
        context: LOCKDOWN,
        audiences: &[Audience::Children],
        outcomes: None,
        continuation: None,
        themes: &["accompagnement-scolaire"],
        territories: &["grand-est"],
        organisations: &[],
        contacts: &[],
        meetings: &[MEETING_SLUG],
    },
];

/// The links the minutes state: the same heading reports one action in two places.
pub static LINKS: &[DemoLink] = &[
    DemoLink {
        // « La CAF 67, en lien avec les établissements scolaires, a ciblé des familles
        // auxquelles fournir du matériel informatique », under « Permettre l'accès à
        // internet pour les élèves ».
        from: "caf-67-materiel-informatique-familles",
        to: "acces-internet-eleves-confinement",
        kind: InitiativeLinkKind::VariantOf,
        note: "Du matériel informatique fourni aux familles, ciblées avec les \
               établissements scolaires du Bas-Rhin.",
    },
    DemoLink {
        // « Confection et livraison de paniers solidaires avec un CCAS et des producteurs
        // locaux, ou de repas aux collégiens par un CD »: one action, two ways.
        from: "repas-collegiens-conseil-departemental",
        to: "paniers-solidaires-ccas-producteurs-locaux",
        kind: InitiativeLinkKind::VariantOf,
        note: "Des repas livrés aux collégiens plutôt que des paniers : la même \
               confection et livraison solidaire.",
    },
];
