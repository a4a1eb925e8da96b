//! State, territory and province codes: the USPS list for the United States and Canada Post's
//! for Canada, with their names and common spellings.

/// USPS codes and names: the 50 states, the District of Columbia, the inhabited territories
/// and freely associated states that use US ZIP codes, and the armed-forces "states".
pub const US_STATES: [(&str, &str); 63] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("DC", "District of Columbia"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"),
    ("UM", "U.S. Minor Outlying Islands"),
    ("FM", "Federated States of Micronesia"),
    ("MH", "Marshall Islands"),
    ("PW", "Palau"),
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
];

/// Further spellings that read as a US code (names people write for DC, the Virgin Islands and
/// the armed-forces regions).
pub const US_STATE_ALIASES: [(&str, &str); 11] = [
    ("Armed Forces Africa", "AE"),
    ("Armed Forces Canada", "AE"),
    ("Armed Forces Middle East", "AE"),
    ("Washington DC", "DC"),
    ("Washington D.C.", "DC"),
    ("Washington, D.C.", "DC"),
    ("D.C.", "DC"),
    ("Virgin Islands", "VI"),
    ("US Virgin Islands", "VI"),
    ("United States Virgin Islands", "VI"),
    ("Micronesia", "FM"),
];

/// Canada Post's province and territory codes and names.
pub const CA_PROVINCES: [(&str, &str); 13] = [
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

/// Further spellings of Canadian provinces.
pub const CA_PROVINCE_ALIASES: [(&str, &str); 5] = [
    ("Québec", "QC"),
    ("Newfoundland", "NL"),
    ("Yukon Territory", "YT"),
    ("PQ", "QC"),
    ("P.E.I.", "PE"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_two_letter_uppercase() {
        for table in [&US_STATES[..], &CA_PROVINCES[..]] {
            let codes: BTreeSet<&str> = table.iter().map(|(c, _)| *c).collect();
            assert_eq!(codes.len(), table.len());
            for code in codes {
                assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
            }
        }
        assert_eq!(US_STATES.len(), 63);
        // 50 states + DC.
        let fifty_one = US_STATES.iter().take_while(|(c, _)| *c != "AS").count();
        assert_eq!(fifty_one, 51);
    }

    #[test]
    fn aliases_point_at_known_codes() {
        let us: BTreeSet<&str> = US_STATES.iter().map(|(c, _)| *c).collect();
        assert!(US_STATE_ALIASES.iter().all(|(_, c)| us.contains(c)));
        let ca: BTreeSet<&str> = CA_PROVINCES.iter().map(|(c, _)| *c).collect();
        assert!(CA_PROVINCE_ALIASES.iter().all(|(_, c)| ca.contains(c)));
    }
}
