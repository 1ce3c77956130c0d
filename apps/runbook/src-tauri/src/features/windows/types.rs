use serde::{Deserialize, Serialize};
use specta::Type;

/// A window of the UI, by what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum WindowRoute {
    Main,
    Settings,
}

impl WindowRoute {
    const ALL: [Self; 2] = [Self::Main, Self::Settings];

    /// The route as it travels, from the UI and over the back-channel alike:
    /// its serde name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Settings => "settings",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_travels_under_its_serde_name() {
        for route in WindowRoute::ALL {
            assert_eq!(
                serde_json::to_value(route).expect("json"),
                serde_json::json!(route.name())
            );
            assert_eq!(WindowRoute::from_name(route.name()), Some(route));
        }
        assert_eq!(WindowRoute::from_name("Settings"), None);
        assert_eq!(WindowRoute::from_name("splash"), None);
    }
}
