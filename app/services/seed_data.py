"""The word lists and places `seed` draws demo contacts from: realistic,
diverse, and with postal formats per country."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES = (
    "Ada", "Aisha", "Alejandro", "Amara", "Ana", "Anders", "Ayumi", "Bea",
    "Carlos", "Chen", "Chiamaka", "Chloé", "Dmitri", "Elena", "Emeka", "Emma",
    "Fatima", "Felipe", "Grace", "Hana", "Hiroshi", "Ibrahim", "Ingrid",
    "Isabela", "Jamal", "Jana", "Javier", "Ji-woo", "José", "Kwame", "Lars",
    "Leila", "Liam", "Lucía", "Łukasz", "Mai", "Malik", "Maria", "Mateo",
    "Mei", "Mohammed", "Nadia", "Noah", "Nomvula", "Olivia", "Omar", "Priya",
    "Rafael", "Ravi", "Rosa", "Sakura", "Samuel", "Sofia", "Søren", "Tariq",
    "Thandiwe", "Tomás", "Wei", "Yusuf", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Adeyemi", "Andersson", "Bakker", "Banerjee", "Bianchi", "Brown",
    "Castillo", "Chen", "Costa", "Dlamini", "Dubois", "Fernández", "Fischer",
    "García", "Gonzalez", "Haddad", "Hansen", "Hernández", "Ito", "Ivanova",
    "Jansen", "Johnson", "Kamau", "Kelly", "Kim", "Kowalski", "Kumar", "Larsen",
    "Lee", "Martin", "Mensah", "Müller", "Murphy", "Nakamura", "Nguyen",
    "Nowak", "O'Brien", "Okafor", "Okonkwo", "Ørsted", "Patel", "Pereira",
    "Petrov", "Rahman", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Sousa", "Suzuki", "Tanaka", "Van der Berg", "Wang", "Williams",
    "Wójcik", "Yamamoto", "Zhang",
)  # fmt: skip
COMPANIES = (
    "Aurora Publishing", "Atlas Freight", "Blue Harbor Logistics",
    "Brightwater Health", "Cedar Grove Clinic", "Cobalt Security",
    "Copperline Energy", "Falcon Ridge Capital", "Greenleaf Organics",
    "Harbor & Vine Wines", "Helix Biotech", "Ironbridge Construction",
    "Juniper Legal", "Kestrel Aerospace", "Lighthouse Foundation",
    "Lumen Analytics", "Maple & Pine Architects", "Meridian Consulting",
    "Nimbus Cloud Services", "Nordlys Design", "Northwind Traders",
    "Orbital Coffee Roasters", "Pioneer Robotics", "Polaris Labs",
    "Quartz Software", "Riverbend Credit Union", "Saffron Kitchen Group",
    "Solstice Media", "Sunward Solar", "Tidewater Marine", "Verde Mobility",
    "Willow Creek School",
)  # fmt: skip
JOB_TITLES = (
    "Account Manager", "Architect", "Backend Engineer", "Chief Executive",
    "Chief Financial Officer", "Customer Success Lead", "Data Scientist",
    "Designer", "Engineering Manager", "Founder", "Frontend Developer",
    "General Counsel", "Head of Marketing", "HR Business Partner",
    "Lab Technician", "Logistics Coordinator", "Nurse Practitioner",
    "Office Manager", "Operations Director", "Paralegal", "Product Manager",
    "Project Manager", "Recruiter", "Research Scientist", "Sales Director",
    "Site Reliability Engineer", "Software Engineer", "Teacher",
    "UX Researcher", "Vice President of Sales",
)  # fmt: skip
TAG_NAMES = (
    "Alumni", "Board games", "Book club", "Climbing", "Clients", "Colleagues",
    "Conference", "Family", "Follow up", "Friends", "Investors", "Mentors",
    "Neighbours", "Press", "Recruiters", "Running club", "School parents",
    "Suppliers", "Travel", "Volunteering",
)  # fmt: skip
NOTES = (
    "Met at the spring product meetup.",
    "Prefers email over calls.",
    "Introduced by a former colleague; interested in a pilot project.",
    "Allergic to peanuts - remember for the team dinner.",
    "Send the quarterly report in the first week of the month.",
    "Speaks Portuguese and Spanish.",
    "Call after 4 pm their time.",
    "Owes me a book recommendation.",
    "Renewal is due in March.",
    "Great contact for hiring in data engineering.",
)
PERSONAL_DOMAINS = (
    "example.com", "example.org", "example.net", "mail.example",
    "inbox.example", "post.example",
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    city: str
    region: str | None
    postal_code: str


@dataclass(frozen=True)
class Country:
    """Where a contact lives: its phone numbers and addresses come from here."""

    code: str  # ISO 3166-1 alpha-2, also the phone region
    places: tuple[Place, ...]
    streets: tuple[str, ...]
    street_format: str = "{number} {street}"


COUNTRIES = (
    Country(
        "US",
        (
            Place("Portland", "OR", "97205"),
            Place("Austin", "TX", "78701"),
            Place("Brooklyn", "NY", "11201"),
            Place("Chicago", "IL", "60614"),
        ),
        ("Maple Street", "Oak Avenue", "Cedar Lane", "Elm Drive", "Lake Shore Road"),
    ),
    Country(
        "CA",
        (
            Place("Toronto", "ON", "M5V 2T6"),
            Place("Vancouver", "BC", "V6B 1A1"),
            Place("Montréal", "QC", "H2X 1Y4"),
        ),
        ("King Street West", "Granville Street", "Rue Sainte-Catherine"),
    ),
    Country(
        "GB",
        (
            Place("London", None, "SE1 7PB"),
            Place("Manchester", None, "M1 1AE"),
            Place("Edinburgh", None, "EH1 1YZ"),
        ),
        ("High Street", "Station Road", "Church Lane", "Victoria Road"),
    ),
    Country(
        "IE",
        (Place("Dublin", "Dublin", "D02 X285"), Place("Cork", "Cork", "T12 R2NC")),
        ("Main Street", "Grafton Street", "Patrick Street"),
    ),
    Country(
        "DE",
        (
            Place("Berlin", "Berlin", "10115"),
            Place("München", "Bayern", "80331"),
            Place("Hamburg", "Hamburg", "20095"),
        ),
        ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße"),
        "{street} {number}",
    ),
    Country(
        "FR",
        (
            Place("Paris", "Île-de-France", "75011"),
            Place("Lyon", "Auvergne-Rhône-Alpes", "69002"),
            Place("Marseille", "Provence-Alpes-Côte d'Azur", "13001"),
        ),
        ("rue de la République", "avenue Victor Hugo", "boulevard Voltaire"),
    ),
    Country(
        "ES",
        (Place("Madrid", "Madrid", "28013"), Place("Sevilla", "Andalucía", "41004")),
        ("Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá"),
        "{street}, {number}",
    ),
    Country(
        "NL",
        (
            Place("Amsterdam", "Noord-Holland", "1012 AB"),
            Place("Utrecht", "Utrecht", "3511 LN"),
        ),
        ("Keizersgracht", "Oudegracht", "Damrak"),
        "{street} {number}",
    ),
    Country(
        "SE",
        (
            Place("Stockholm", "Stockholms län", "111 52"),
            Place("Göteborg", "Västra Götaland", "411 05"),
        ),
        ("Drottninggatan", "Storgatan", "Kungsgatan"),
        "{street} {number}",
    ),
    Country(
        "PL",
        (
            Place("Warszawa", "Mazowieckie", "00-001"),
            Place("Kraków", "Małopolskie", "31-042"),
        ),
        ("ulica Marszałkowska", "ulica Floriańska", "ulica Długa"),
        "{street} {number}",
    ),
    Country(
        "BR",
        (
            Place("São Paulo", "SP", "01310-100"),
            Place("Rio de Janeiro", "RJ", "22070-011"),
        ),
        ("Avenida Paulista", "Rua Augusta", "Rua das Laranjeiras"),
        "{street}, {number}",
    ),
    Country(
        "MX",
        (
            Place("Ciudad de México", "CDMX", "06600"),
            Place("Guadalajara", "Jalisco", "44100"),
        ),
        ("Avenida Reforma", "Calle Madero", "Avenida Juárez"),
        "{street} {number}",
    ),
    Country(
        "IN",
        (
            Place("Bengaluru", "Karnataka", "560001"),
            Place("Mumbai", "Maharashtra", "400001"),
        ),
        ("MG Road", "Linking Road", "Residency Road"),
    ),
    Country(
        "JP",
        (Place("Tokyo", "Tokyo", "150-0001"), Place("Osaka", "Osaka", "530-0001")),
        ("Jingumae", "Umeda", "Shibuya"),
        "{number}-4 {street}",
    ),
    Country(
        "AU",
        (
            Place("Sydney", "NSW", "2000"),
            Place("Melbourne", "VIC", "3000"),
        ),
        ("George Street", "Collins Street", "Beach Road"),
    ),
    Country(
        "ZA",
        (
            Place("Cape Town", "Western Cape", "8001"),
            Place("Johannesburg", "Gauteng", "2001"),
        ),
        ("Long Street", "Jan Smuts Avenue", "Bree Street"),
    ),
    Country(
        "NG",
        (Place("Lagos", "Lagos", "101241"), Place("Abuja", "FCT", "900211")),
        ("Awolowo Road", "Adeola Odeku Street", "Aminu Kano Crescent"),
    ),
    Country(
        "KE",
        (Place("Nairobi", "Nairobi", "00100"), Place("Mombasa", "Mombasa", "80100")),
        ("Moi Avenue", "Kenyatta Avenue", "Ngong Road"),
    ),
)
