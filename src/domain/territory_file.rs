//! The official territory files, read into rows: the INSEE COG lists of regions,
//! departments and municipalities, the INSEE composition of intercommunalities (EPCI), and
//! the 2024 list of priority neighbourhoods (QPV). The kind of file is told by its header;
//! the separator is `,` or `;`; fields may be quoted. Each line is checked on its own: a
//! malformed one is reported with its line number and the others are kept.

use entity::enums::TerritoryKind;

use super::{
    place::Point,
    reference::{Name, OfficialCode},
};

/// Which official file it is, and the kind of territory each line describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `v_region_AAAA.csv`: `REG`, `LIBELLE`.
    Regions,
    /// `v_departement_AAAA.csv`: `DEP`, `REG`, `LIBELLE`.
    Departments,
    /// `v_commune_AAAA.csv`: `TYPECOM`, `COM`, `DEP`, `LIBELLE` (only `TYPECOM` = `COM`).
    Municipalities,
    /// The composition of intercommunalities (INSEE `EPCI_au_01-01-AAAA`, sheet
    /// `Composition_communale`, saved as CSV): `CODGEO`, `EPCI`, `LIBEPCI`, `DEP`.
    Intercommunalities,
    /// The 2024 priority neighbourhoods: `code_qp`, `lib_qp`, `insee_com` (one or more
    /// municipality codes, separated by commas or spaces inside the field).
    PriorityNeighbourhoods,
}

impl FileKind {
    /// The kind of territory the file is the full list of.
    pub fn territory_kind(self) -> TerritoryKind {
        match self {
            Self::Regions => TerritoryKind::Region,
            Self::Departments => TerritoryKind::Department,
            Self::Municipalities => TerritoryKind::Municipality,
            Self::Intercommunalities => TerritoryKind::Intercommunality,
            Self::PriorityNeighbourhoods => TerritoryKind::PriorityNeighbourhood,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Regions => "regions (INSEE COG)",
            Self::Departments => "departments (INSEE COG)",
            Self::Municipalities => "municipalities (INSEE COG)",
            Self::Intercommunalities => "intercommunality composition (INSEE)",
            Self::PriorityNeighbourhoods => "priority neighbourhoods (QPV 2024)",
        }
    }
}

/// One territory of the file, with the territories it lies in (by kind and code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryLine {
    pub line: usize,
    pub kind: TerritoryKind,
    pub code: String,
    pub name: String,
    /// Parents of one kind: the import replaces the territory's parents of that kind.
    pub parent_kind: Option<TerritoryKind>,
    pub parent_codes: Vec<String>,
    /// For the intercommunality composition: the municipality of the line, which lies in
    /// the intercommunality `code`.
    pub member: Option<String>,
    /// The territory's representative point, when the file has `latitude` and `longitude`
    /// columns (the INSEE lists have none; files prepared from other sources may).
    pub point: Option<Point>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: usize,
    pub message: String,
    /// The code of the line when it could be read, for the report.
    pub code: Option<String>,
}

/// A whole file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryFile {
    pub kind: FileKind,
    pub lines: Vec<TerritoryLine>,
    pub malformed: Vec<Malformed>,
    /// Well-formed rows of kinds Communs does not hold, counted by the reason they are left
    /// out (e.g. municipal arrondissements), in the order first met.
    pub left_out: Vec<(String, usize)>,
}

impl TerritoryFile {
    fn leave_out(&mut self, reason: String) {
        match self.left_out.iter_mut().find(|(known, _)| *known == reason) {
            Some((_, count)) => *count += 1,
            None => self.left_out.push((reason, 1)),
        }
    }
}

/// Why a well-formed row is not imported, if it is not: parts of a municipality are not
/// municipalities, and a municipality in no intercommunality belongs to none.
fn left_out(kind: FileKind, columns: &Columns, row: &[String]) -> Option<String> {
    match kind {
        FileKind::Municipalities => match columns.get("typecom", row) {
            Some("COM") => None,
            Some("COMA") => Some("associated municipalities (COMA), parts of a municipality".to_owned()),
            Some("COMD") => Some("delegated municipalities (COMD), parts of a municipality".to_owned()),
            Some("ARM") => Some(
                "municipal arrondissements (ARM) of Paris, Lyon and Marseille, parts of a municipality"
                    .to_owned(),
            ),
            Some(other) => Some(format!("rows of type {other}, not a municipality")),
            None => None,
        },
        FileKind::Intercommunalities if columns.get("epci", row) == Some("ZZZZZZZZZ") => {
            Some("municipalities in no intercommunality (EPCI ZZZZZZZZZ)".to_owned())
        }
        _ => None,
    }
}

/// The fields of one CSV line: separated by `separator`, optionally quoted with `"`
/// (a doubled `""` inside quotes is one quote).
fn fields(line: &str, separator: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    current.push('"');
                } else {
                    quoted = false;
                }
            } else {
                current.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == separator {
            fields.push(std::mem::take(&mut current));
            at_start = true;
        } else {
            current.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_owned());
    }
    fields.push(current);
    Ok(fields.into_iter().map(|f| f.trim().to_owned()).collect())
}

/// The index of each column the file kind needs, found in the header (case ignored).
struct Columns(Vec<(String, usize)>);

impl Columns {
    fn get<'a>(&self, name: &str, row: &'a [String]) -> Option<&'a str> {
        let (_, index) = self.0.iter().find(|(column, _)| column == name)?;
        row.get(*index).map(String::as_str)
    }
}

fn detect(header: &[String]) -> Option<FileKind> {
    let has = |name: &str| header.iter().any(|column| column == name);
    if has("code_qp") && has("lib_qp") {
        Some(FileKind::PriorityNeighbourhoods)
    } else if has("codgeo") && has("epci") && has("libepci") {
        Some(FileKind::Intercommunalities)
    } else if has("typecom") && has("com") && has("dep") && has("libelle") {
        Some(FileKind::Municipalities)
    } else if has("dep") && has("reg") && has("libelle") {
        Some(FileKind::Departments)
    } else if has("reg") && has("libelle") {
        Some(FileKind::Regions)
    } else {
        None
    }
}

/// Reads a file. Fails only when the header names no known file.
pub fn read(text: &str) -> Result<TerritoryFile, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    let (_, header) = lines
        .by_ref()
        .find(|(_, line)| !line.trim().is_empty())
        .ok_or("the file is empty")?;
    let separator = if header.contains(';') { ';' } else { ',' };
    let header: Vec<String> = fields(header, separator)?
        .into_iter()
        .map(|column| column.to_lowercase())
        .collect();
    let kind = detect(&header).ok_or_else(|| {
        format!(
            "unknown file: its header ({}) is none of the regions, departments, \
             municipalities, intercommunality composition or QPV files",
            header.join(", ")
        )
    })?;
    let columns = Columns(
        header
            .iter()
            .enumerate()
            .map(|(index, name)| (name.clone(), index))
            .collect(),
    );
    let mut file = TerritoryFile {
        kind,
        lines: Vec::new(),
        malformed: Vec::new(),
        left_out: Vec::new(),
    };
    for (index, line) in lines {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = match fields(line, separator) {
            Ok(row) => row,
            Err(message) => {
                file.malformed.push(Malformed {
                    line: number,
                    message,
                    code: None,
                });
                continue;
            }
        };
        if let Some(reason) = left_out(kind, &columns, &row) {
            file.leave_out(reason);
            continue;
        }
        let parsed = read_line(kind, &columns, &row, number).and_then(|mut parsed| {
            parsed.point =
                point(&columns, &row).map_err(|message| (message, Some(parsed.code.clone())))?;
            Ok(parsed)
        });
        match parsed {
            Ok(parsed) => file.lines.push(parsed),
            Err((message, code)) => file.malformed.push(Malformed {
                line: number,
                message,
                code,
            }),
        }
    }
    Ok(file)
}

type LineError = (String, Option<String>);

/// The point of a row, from its `latitude` and `longitude` columns when the file has them
/// (a decimal comma is read as a point); a row with one of the two, or with a value out
/// of range, is malformed.
fn point(columns: &Columns, row: &[String]) -> Result<Option<Point>, String> {
    let value = |column: &str| {
        columns
            .get(column, row)
            .filter(|text| !text.is_empty())
            .map(|text| {
                text.replace(',', ".")
                    .parse::<f64>()
                    .map_err(|_| format!("the column {column} is not a number: {text}"))
            })
            .transpose()
    };
    match (value("latitude")?, value("longitude")?) {
        (Some(latitude), Some(longitude)) => Point::parse("", latitude, longitude)
            .map(Some)
            .map_err(|error| error.public_message().trim_start_matches('.').to_owned()),
        (None, None) => Ok(None),
        _ => Err("a point needs both latitude and longitude".to_owned()),
    }
}

fn code(
    columns: &Columns,
    row: &[String],
    column: &str,
    kind: TerritoryKind,
) -> Result<String, LineError> {
    let raw = columns
        .get(column, row)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| (format!("the column {column} is missing or empty"), None))?;
    // The code as written goes with the error, even when it is what is wrong.
    OfficialCode::parse(column, kind, raw)
        .map(|code| code.as_str().to_owned())
        .map_err(|error| (error.public_message(), Some(raw.to_owned())))
}

/// A name as every name entering Communs: one line, no control character, no
/// bidirectional override, at most 200 characters.
fn name(columns: &Columns, row: &[String], column: &str, code: &str) -> Result<String, LineError> {
    let raw = columns
        .get(column, row)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            (
                format!("the column {column} is missing or empty"),
                Some(code.to_owned()),
            )
        })?;
    Name::parse(column, raw)
        .map(Name::into_inner)
        .map_err(|error| (error.public_message(), Some(code.to_owned())))
}

fn read_line(
    kind: FileKind,
    columns: &Columns,
    row: &[String],
    line: usize,
) -> Result<TerritoryLine, LineError> {
    use TerritoryKind::*;
    fn with_code(code: &str) -> impl Fn(LineError) -> LineError + '_ {
        move |(message, _)| (message, Some(code.to_owned()))
    }
    Ok(match kind {
        FileKind::Regions => {
            let code = code(columns, row, "reg", Region)?;
            TerritoryLine {
                line,
                kind: Region,
                name: name(columns, row, "libelle", &code)?,
                code,
                parent_kind: None,
                parent_codes: Vec::new(),
                member: None,
                point: None,
            }
        }
        FileKind::Departments => {
            let code = code(columns, row, "dep", Department)?;
            let region = self::code(columns, row, "reg", Region).map_err(with_code(&code))?;
            TerritoryLine {
                line,
                kind: Department,
                name: name(columns, row, "libelle", &code)?,
                code,
                parent_kind: Some(Region),
                parent_codes: vec![region],
                member: None,
                point: None,
            }
        }
        FileKind::Municipalities => {
            let code = code(columns, row, "com", Municipality)?;
            let department =
                self::code(columns, row, "dep", Department).map_err(with_code(&code))?;
            TerritoryLine {
                line,
                kind: Municipality,
                name: name(columns, row, "libelle", &code)?,
                code,
                parent_kind: Some(Department),
                parent_codes: vec![department],
                member: None,
                point: None,
            }
        }
        FileKind::Intercommunalities => {
            let code = code(columns, row, "epci", Intercommunality)?;
            let member =
                self::code(columns, row, "codgeo", Municipality).map_err(with_code(&code))?;
            let department =
                self::code(columns, row, "dep", Department).map_err(with_code(&code))?;
            TerritoryLine {
                line,
                kind: Intercommunality,
                name: name(columns, row, "libepci", &code)?,
                code,
                parent_kind: Some(Department),
                parent_codes: vec![department],
                member: Some(member),
                point: None,
            }
        }
        FileKind::PriorityNeighbourhoods => {
            let code = code(columns, row, "code_qp", PriorityNeighbourhood)?;
            let raw = columns.get("insee_com", row).unwrap_or_default();
            let mut municipalities = Vec::new();
            for part in raw
                .split([',', ' ', '|', '/'])
                .filter(|part| !part.is_empty())
            {
                let parsed = OfficialCode::parse("insee_com", Municipality, part)
                    .map_err(|error| (error.public_message(), Some(code.clone())))?;
                municipalities.push(parsed.as_str().to_owned());
            }
            if municipalities.is_empty() {
                return Err((
                    "the column insee_com is missing or empty".to_owned(),
                    Some(code),
                ));
            }
            TerritoryLine {
                line,
                kind: PriorityNeighbourhood,
                name: name(columns, row, "lib_qp", &code)?,
                code,
                parent_kind: Some(Municipality),
                parent_codes: municipalities,
                member: None,
                point: None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_their_separators_and_quotes() {
        assert_eq!(
            fields(r#"44,"Grand Est","Dit ""GE"", l'est""#, ',').unwrap(),
            ["44", "Grand Est", r#"Dit "GE", l'est"#]
        );
        assert!(fields(r#"44,"Grand Est"#, ',').is_err());
    }

    #[test]
    fn the_header_tells_the_file_and_bad_lines_are_numbered() {
        let file = read(
            "\u{feff}TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n\
             COM,57463,44,57,57D,579,0,METZ,Metz,Metz,5799,\n\
             COMD,57001,44,57,57D,579,0,X,X,X,,57463\n\
             COM,5746,44,57,57D,579,0,BAD,Bad,Bad,,\n\
             COM,57464,44,57,57D,579,0,NONAME,,,,\n",
        )
        .unwrap();
        assert_eq!(file.kind, FileKind::Municipalities);
        assert_eq!(file.lines.len(), 1);
        assert_eq!(file.lines[0].code, "57463");
        assert_eq!(file.lines[0].parent_codes, ["57"]);
        let lines: Vec<usize> = file.malformed.iter().map(|m| m.line).collect();
        assert_eq!(lines, [4, 5]);
        assert_eq!(file.malformed[1].code.as_deref(), Some("57464"));
    }

    #[test]
    fn names_with_control_characters_or_overrides_are_refused_lines() {
        let file = read(
            "REG,LIBELLE\n\
             44,Grand Est\n\
             11,\u{1b}[31mÎle-de-France\n\
             32,Hauts\u{202e}-de-France\n\
             53,Bretagne\tOuest\n",
        )
        .unwrap();
        assert_eq!(file.lines.len(), 1);
        let refused: Vec<(usize, Option<&str>)> = file
            .malformed
            .iter()
            .map(|m| (m.line, m.code.as_deref()))
            .collect();
        assert_eq!(refused, [(3, Some("11")), (4, Some("32")), (5, Some("53"))]);
        assert!(file.malformed[0].message.contains("libelle"));
    }

    #[test]
    fn points_are_read_when_the_file_has_them() {
        let file = read(
            "DEP;REG;LIBELLE;LATITUDE;LONGITUDE\n\
             67;44;Bas-Rhin;48,5734;7,7521\n\
             57;44;Moselle;49.1193;6.1757\n\
             54;44;Meurthe-et-Moselle;48.69;\n\
             51;44;Marne;;\n\
             88;44;Vosges;148.2;6.4\n",
        )
        .unwrap();
        let points: Vec<_> = file.lines.iter().map(|line| line.point).collect();
        assert_eq!(
            points,
            [
                Some(Point::parse("", 48.573, 7.752).unwrap()),
                Some(Point::parse("", 49.119, 6.176).unwrap()),
                None
            ]
        );
        let refused: Vec<usize> = file.malformed.iter().map(|m| m.line).collect();
        assert_eq!(refused, [4, 6], "{:?}", file.malformed);
        assert!(file.malformed[1].message.starts_with("latitude"));
    }

    #[test]
    fn an_unknown_header_is_refused() {
        assert!(read("a,b,c\n1,2,3\n").is_err());
    }
}
