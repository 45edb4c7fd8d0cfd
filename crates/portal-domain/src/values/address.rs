//! Postal addresses with an ISO 3166-1 alpha-2 country.

use super::text::{CompanyName, TextError};

/// Every ISO 3166-1 alpha-2 code (249, from the iso-codes data as packaged by pycountry).
const COUNTRY_CODES: &str = "
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Why a postal address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// No street line was given.
    #[error("must have at least one street line")]
    NoLines,
    /// More street lines than an envelope holds.
    #[error("must have at most {max} street lines")]
    TooManyLines {
        /// The most lines accepted.
        max: usize,
    },
    /// A street line is not acceptable text.
    #[error("street line {line}: {error}")]
    Line {
        /// Which line, from 1.
        line: usize,
        /// What was wrong with it.
        error: TextError,
    },
    /// The city is not acceptable text.
    #[error("city: {0}")]
    City(TextError),
    /// The region is not acceptable text.
    #[error("region: {0}")]
    Region(TextError),
    /// The postal code is not 1 to 16 letters, digits, spaces or hyphens.
    #[error("postal code must be 1 to 16 letters, digits, spaces or hyphens")]
    PostalCode,
    /// The country is not an ISO 3166-1 alpha-2 code.
    #[error("country must be an ISO 3166-1 alpha-2 code such as GB or DE")]
    Country,
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code in either case (`gb`, `GB`).
    pub fn parse(raw: &str) -> Result<Self, AddressError> {
        let upper = raw.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b]
                if a.is_ascii_uppercase()
                    && b.is_ascii_uppercase()
                    && COUNTRY_CODES.split_ascii_whitespace().any(|c| c == upper) =>
            {
                Ok(Self([*a, *b]))
            }
            _ => Err(AddressError::Country),
        }
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Every code the parser accepts.
    pub fn all() -> impl Iterator<Item = &'static str> {
        COUNTRY_CODES.split_ascii_whitespace()
    }
}

/// The raw fields of a postal address, as a form or an API request carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PostalAddressInput {
    /// Street lines, first to last.
    pub lines: Vec<String>,
    /// City or town.
    pub city: String,
    /// State, county or province, where the country uses one.
    pub region: Option<String>,
    /// Postal code, where the country uses one.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// A postal address: 1 to 4 street lines, a city, optional region and postal code, a country.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "PostalAddressInput", into = "PostalAddressInput")
)]
pub struct PostalAddress {
    lines: Vec<CompanyName>,
    city: CompanyName,
    region: Option<CompanyName>,
    postal_code: Option<String>,
    country: CountryCode,
}

impl PostalAddress {
    /// The most street lines accepted.
    pub const MAX_LINES: usize = 4;

    /// Parses every field, reporting the first that is wrong.
    pub fn parse(input: &PostalAddressInput) -> Result<Self, AddressError> {
        let lines: Vec<&String> = input.lines.iter().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return Err(AddressError::NoLines);
        }
        if lines.len() > Self::MAX_LINES {
            return Err(AddressError::TooManyLines { max: Self::MAX_LINES });
        }
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, l)| CompanyName::parse(l).map_err(|error| AddressError::Line { line: i + 1, error }))
            .collect::<Result<Vec<_>, _>>()?;
        let city = CompanyName::parse(&input.city).map_err(AddressError::City)?;
        let region = match input.region.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(CompanyName::parse(r).map_err(AddressError::Region)?),
        };
        let postal_code = match input.postal_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p)
                if p.chars().count() <= 16 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') =>
            {
                Some(p.to_ascii_uppercase())
            }
            Some(_) => return Err(AddressError::PostalCode),
        };
        let country = CountryCode::parse(&input.country)?;
        Ok(Self { lines, city, region, postal_code, country })
    }

    /// Street lines, first to last.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(CompanyName::as_str)
    }

    /// City or town.
    pub fn city(&self) -> &str {
        self.city.as_str()
    }

    /// State, county or province.
    pub fn region(&self) -> Option<&str> {
        self.region.as_ref().map(CompanyName::as_str)
    }

    /// Postal code, upper case.
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// The country.
    pub fn country(&self) -> CountryCode {
        self.country
    }

    /// The raw fields, for storage and DTOs; parsing them again gives the same address.
    pub fn to_input(&self) -> PostalAddressInput {
        PostalAddressInput {
            lines: self.lines().map(str::to_owned).collect(),
            city: self.city().to_owned(),
            region: self.region().map(str::to_owned),
            postal_code: self.postal_code.clone(),
            country: self.country.as_str().to_owned(),
        }
    }
}

impl TryFrom<PostalAddressInput> for PostalAddress {
    type Error = AddressError;
    fn try_from(input: PostalAddressInput) -> Result<Self, AddressError> {
        Self::parse(&input)
    }
}

impl From<PostalAddress> for PostalAddressInput {
    fn from(address: PostalAddress) -> Self {
        address.to_input()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(country: &str) -> PostalAddressInput {
        PostalAddressInput {
            lines: vec!["1 High Street".into(), " ".into()],
            city: "London".into(),
            region: None,
            postal_code: Some("sw1a 1aa".into()),
            country: country.into(),
        }
    }

    #[test]
    fn an_address_round_trips_through_its_input() {
        let address = PostalAddress::parse(&input("gb")).unwrap();
        assert_eq!(address.country().as_str(), "GB");
        assert_eq!(address.postal_code(), Some("SW1A 1AA"));
        assert_eq!(address.lines().count(), 1);
        assert_eq!(PostalAddress::parse(&address.to_input()), Ok(address));
    }

    #[test]
    fn unknown_countries_are_refused() {
        assert_eq!(PostalAddress::parse(&input("UK")), Err(AddressError::Country));
        assert_eq!(PostalAddress::parse(&input("GBR")), Err(AddressError::Country));
        assert_eq!(CountryCode::all().count(), 249);
    }

    #[test]
    fn an_address_needs_a_street_line() {
        let mut raw = input("DE");
        raw.lines.clear();
        assert_eq!(PostalAddress::parse(&raw), Err(AddressError::NoLines));
    }
}
