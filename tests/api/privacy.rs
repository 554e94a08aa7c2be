//! Personal data: a professional's e-mail and phone reach the public only when PUBLIC.

use entity::enums::ContactVisibility;
use serde_json::Value;

use crate::{fixtures::set_contact_details, helpers::TestApp};

#[tokio::test]
async fn the_public_sees_contact_details_only_when_the_person_made_them_public() {
    let app = TestApp::with_demo().await;
    set_contact_details(app.db(), "julie-parachini", ContactVisibility::Public).await;
    set_contact_details(app.db(), "julien-piquand", ContactVisibility::Members).await;
    set_contact_details(app.db(), "severine-aubry", ContactVisibility::Private).await;
    let data = app
        .data(
            r#"{ public: professional(slug: "julie-parachini") { email phone }
                   members: professional(slug: "julien-piquand") { fullName email phone }
                   private: professional(slug: "severine-aubry") { fullName email phone }
                   meeting(slug: "gouter-visio-dsu-grand-est-2020-05-14") {
                       participants { professional { slug email } } } }"#,
        )
        .await;
    assert_eq!(data["public"]["email"], "julie-parachini@exemple.fr");
    assert_eq!(data["public"]["phone"], "03 87 00 00 00");
    for hidden in ["members", "private"] {
        assert_eq!(data[hidden]["email"], Value::Null, "{hidden}");
        assert_eq!(data[hidden]["phone"], Value::Null, "{hidden}");
    }
    assert_eq!(
        data["private"]["fullName"], "Séverine Aubry",
        "names stay public"
    );
    for participant in data["meeting"]["participants"].as_array().unwrap() {
        let person = &participant["professional"];
        if person["slug"] != "julie-parachini" {
            assert_eq!(person["email"], Value::Null, "{person}");
        }
    }
}
