"""Generator of the demo data in samples/: run it once after changing the data below.

    .venv/bin/python samples/make_samples.py

It writes, for two fictional client businesses, a clients file and a November 2026 sales file:

- conseil-horizon/ (CSV, semicolon, UTF-8 with BOM, as Excel "CSV UTF-8" saves them);
- epicerie-lea/ (XLSX with real date cells and a percent-formatted VAT column);
- conseil-horizon/ventes-erreurs.csv, a sales file with typical mistakes, to show the error report.

The sellers' own identities (SIRET, VAT number, IBAN...) are the samconfig.toml environments of the
same names: the demo deploys each business exactly as `sam deploy --config-env <name>` would.

Every company identifier is computed here with its check digits (SIREN/SIRET Luhn key, French
VAT key, Belgian mod 97, German ISO 7064 mod 11,10), so python-stdnum accepts them. They are
made up: any resemblance to a registered company is accidental. Email addresses use the
reserved ``.example`` domain so that nothing can ever be sent to a real mailbox.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from invoicing.domain import identifiers

HERE = Path(__file__).resolve().parent


# ------------------------------------------------------------------------------- identifiers


def siren(first8: str) -> str:
    return identifiers.siren(first8 + luhn.calc_check_digit(first8))


def siret(siren_number: str, nic4: str) -> str:
    base = siren_number + nic4
    return identifiers.siret(base + luhn.calc_check_digit(base))


def fr_vat(siren_number: str) -> str:
    return identifiers.french_vat_id(siren_number)


def be_vat(first8: str) -> str:
    """Belgian enterprise number: 10 digits, the last two are 97 - (first eight mod 97)."""
    return identifiers.vat_id(f"BE{first8}{97 - int(first8) % 97:02d}")


def de_vat(first8: str) -> str:
    return identifiers.vat_id(f"DE{first8}{mod_11_10.calc_check_digit(first8)}")


def spaced_siret(number: str) -> str:
    """SIRET as people type it: 123 456 789 00012."""
    return f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"


# ---------------------------------------------------------------------------- file writers


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Semicolon CSV in UTF-8 with a BOM and CRLF line ends: what Excel saves as "CSV UTF-8"."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def new_sheet(title: str, headers: list[str]):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return book, sheet


def fit_columns(sheet) -> None:
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)


# ---------------------------------------------------------------- Horizon Conseil & Formation

SDT = siret(siren("42871630"), "0015")
LEFEVRE = siren("51937264")
RES = siren("89012457")


def horizon_clients() -> list[list[str]]:
    header = [
        "Référence", "Raison sociale", "Adresse", "Complément", "Code postal", "Ville", "Pays",
        "SIRET", "N° TVA", "E-mail", "Langue", "Conditions de paiement",
    ]  # fmt: skip
    return [
        header,
        [
            "C001", "Société Dauphinoise de Transports", "8 avenue Alsace-Lorraine", "Bâtiment B",
            "38000", "Grenoble", "France", spaced_siret(SDT), fr_vat(SDT[:9]),
            "comptabilite@sdt-transports.example", "fr", "30 jours",
        ],
        [
            "C002", "Boulangerie Pâtisserie Lefèvre", "12 place des Célestins", "", "69002", "Lyon", "",
            LEFEVRE, fr_vat(LEFEVRE), "contact@boulangerie-lefevre.example", "", "comptant",
        ],
        [
            "C003", "Rhône Énergies Solidaires", "47 cours Émile-Zola", "", "69100", "Villeurbanne", "FR",
            RES, fr_vat(RES), "gestion@rhone-energies.example", "fr", "45 jours fin de mois",
        ],
        [
            "C004", "Brasserie Wallonne de l'Ourthe SA", "Rue de l'Académie 52", "", "4000", "Liège",
            "Belgique", "", be_vat("04567123"), "accounts@brasserie-ourthe.example", "en", "30 days",
        ],
        [
            "C005", "Mme Hélène Garnier-Bézier", "3 chemin des Frênes", "Le Hameau du Lac", "74000", "Annecy",
            "", "", "", "helene.garnier@courriel.example", "", "",
        ],
    ]  # fmt: skip


HORIZON_SALES_HEADER = [
    "Date", "Client", "Consultant", "Prestation", "Quantité", "Unité", "Prix unitaire HT (€)", "TVA (%)",
    "Remise", "Réf. commande", "Exonération",
]  # fmt: skip

JULIEN, CLAIRE, SOPHIE = "Julien Marchand", "Claire Dubois", "Sophie Nguyen"


def timesheet(
    day: str,
    client: str,
    who: str,
    text: str,
    qty: str,
    unit: str,
    price: str,
    vat: str = "20 %",
    *,
    discount: str = "",
    order: str = "",
    exemption: str = "",
) -> list[str]:
    """One row of Horizon's timesheet export; ``day`` is dd/mm in November 2026 unless a full date."""
    date_text = day if day.count("/") == 2 else f"{day}/2026"
    return [date_text, client, who, text, qty, unit, price, vat, discount, order, exemption]


def horizon_sales() -> list[list[str]]:
    t, j, c, s = timesheet, JULIEN, CLAIRE, SOPHIE
    rows = [
        t("02/11", "C003", j, "Diagnostic RSE – cadrage", "1", "jour", "850,00", order="CMD-4471"),
        t("03/11", "C001", j, "Audit de l'organisation logistique – entretiens", "1", "jour", "850,00",
          order="BC-2026-114"),
        t("04/11", "C001", j, "Audit de l'organisation logistique – analyse des flux", "1", "jour", "850,00",
          order="BC-2026-114"),
        t("05/11", "C002", s, "Accompagnement recrutement – fiches de poste", "3,5", "h", "95,00"),
        t("06/11", "C004", j, "Strategy workshop – French market entry", "1", "jour", "950,00", "0",
          order="PO-88213", exemption="autoliquidation"),
        t("07/11", "C005", s, "Coaching professionnel – séance 1", "2", "h", "120,00"),
        t("09/11", "C003", j, "Diagnostic RSE – entretiens parties prenantes", "2", "jour", "850,00",
          order="CMD-4471"),
        t("10/11", "C001", c, "Atelier de restitution de l'audit", "0,5", "jour", "850,00",
          order="BC-2026-114"),
        t("12/11", "C002", s, "Accompagnement recrutement – entretiens candidats", "4", "h", "95,00"),
        t("13/11", "C004", j, "Distributor interviews (remote)", "5", "h", "120,00", "0", order="PO-88213",
          exemption="autoliquidation"),
        t("14/11", "C005", s, "Coaching professionnel – séance 2", "2", "h", "120,00"),
        t("16/11", "C003", j, "Diagnostic RSE – rapport et recommandations", "1,5", "jour", "850,00",
          order="CMD-4471"),
        t("17/11", "C001", c, "Formation « Lean management » – session 1", "1", "jour", "1 250,00",
          order="BC-2026-121"),
        t("18/11", "C001", c, "Formation « Lean management » – session 2", "1", "jour", "1 250,00",
          discount="10 %", order="BC-2026-121"),
        t("19/11", "C002", s, "Mise en place du planning des équipes", "2,75", "h", "95,00"),
        t("20/11", "C003", c, "Préparation du conseil d'administration", "3", "h", "110,00"),
        t("21/11", "C005", s, "Coaching professionnel – séance 3", "1,5", "h", "120,00"),
        t("23/11", "C002", c, "Formation hygiène alimentaire (HACCP)", "1", "jour", "1 250,00",
          order="DEVIS-2026-031"),
        t("24/11", "C004", j, "Market entry report", "1", "jour", "950,00", "0", order="PO-88213",
          exemption="autoliquidation"),
        t("25/11", "C001", c, "Frais de déplacement Lyon–Grenoble (forfait)", "2", "", "85,00",
          order="BC-2026-121"),
        t("26/11", "C002", s, "Suivi mensuel", "1,5", "h", "95,00", "20"),
        t("27/11", "C003", c, "Animation du séminaire d'équipe", "6", "h", "110,00"),
        t("28/11", "C005", s, "Coaching professionnel – synthèse écrite", "1", "h", "120,00"),
        t("30/11", "C003", c, "Assistance téléphonique RH", "0,25", "h", "110,00"),
        t("30/11", "C003", c, "Supports de formation imprimés", "12", "u", "18,50"),
    ]  # fmt: skip
    return [HORIZON_SALES_HEADER, *rows]


def rejected_sales() -> list[list[str]]:
    """Five realistic mistakes, one per row, among correct rows (see samples/README.md)."""
    t, j, c, s = timesheet, JULIEN, CLAIRE, SOPHIE
    rows = [
        t("02/11", "C003", j, "Diagnostic RSE – cadrage", "1", "jour", "850,00", order="CMD-4471"),
        t("03/11", "C099", j, "Audit logistique – entretiens", "1", "jour", "850,00"),
        t("05/11", "C002", s, "Accompagnement recrutement", "abc", "h", "95,00"),
        t("07/11", "C005", s, "Coaching professionnel – séance 1", "2", "h", "120,00", "19,6 %"),
        t("31/02/2026", "C001", c, "Atelier de restitution", "0,5", "jour", "850,00"),
        t("12/11", "C002", s, "Annulation séance du 05/11", "-2", "h", "95,00"),
        t("13/11", "C004", j, "Distributor interviews (remote)", "5", "h", "120,00", "0", order="PO-88213",
          exemption="autoliquidation"),
    ]  # fmt: skip
    return [HORIZON_SALES_HEADER, *rows]


# ------------------------------------------------------------------------ Épicerie Fine Léa

CHARTRONS = siren("79534816")
COTE_ARGENT = siren("48120967")
GARONNE = siren("88365102")
ST_EMILION = siren("53079841")


def lea_clients(path: Path) -> None:
    book, sheet = new_sheet(
        "Clients",
        ["Code client", "Nom", "Adresse", "Adresse 2", "CP", "Ville", "Pays", "SIREN", "TVA intracom",
         "Email", "Langue", "Échéance"],
    )  # fmt: skip
    rows = [
        ["BISTROT-CHARTRONS", "Bistrot des Chartrons", "52 quai des Chartrons", None, 33000, "Bordeaux", "FR",
         int(CHARTRONS), fr_vat(CHARTRONS), "compta@bistrot-chartrons.example", "fr", "30 jours"],
        ["HOTEL-COTE-ARGENT", "Hôtel Côte d'Argent", "9 boulevard de la Plage", "Service achats", 33120,
         "Arcachon", "FR", int(COTE_ARGENT), fr_vat(COTE_ARGENT), "achats@hotel-cote-argent.example", "fr",
         "45 jours fin de mois"],
        ["GARONNE-SAVEURS", "Garonne & Saveurs Traiteur", "18 avenue de l'Yser", "ZA du Phare", 33700,
         "Mérignac", "FR", int(GARONNE), fr_vat(GARONNE), "factures@garonne-saveurs.example", "fr", "30"],
        ["COMPTOIR-EMILION", "Le Comptoir de Saint-Émilion", "4 rue de la Grande Fontaine", None, 33330,
         "Saint-Émilion", "FR", int(ST_EMILION), fr_vat(ST_EMILION), "contact@comptoir-emilion.example", "fr",
         "comptant"],
        ["FEINKOST-MULLER", "Feinkost Müller GmbH", "Hohe Straße 112", None, 50667, "Köln", "Allemagne", None,
         de_vat("81452796"), "einkauf@feinkost-mueller.example", "en", "30 days"],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].number_format = "0"
    fit_columns(sheet)
    book.save(path)


def sale(
    day: int,
    client: str,
    text: str,
    qty: float,
    unit: str,
    price: float,
    rate: float,
    *,
    discount: float | None = None,
    order: str | None = None,
    exemption: str | None = None,
) -> list[object]:
    """One row of Léa's sales workbook: real cells (a date, numbers, the VAT rate as a fraction)."""
    return [date(2026, 11, day), client, text, qty, unit, price, rate, discount, order, exemption]


def lea_sales(path: Path) -> None:
    book, sheet = new_sheet(
        "Ventes novembre",
        ["Date", "Client", "Désignation", "Qté", "Unité", "PU HT", "Taux TVA", "Remise", "Bon de commande",
         "Exonération"],
    )  # fmt: skip
    food, meal, std = 0.055, 0.1, 0.2
    bistrot, hotel, traiteur, comptoir, muller = (
        "BISTROT-CHARTRONS", "HOTEL-COTE-ARGENT", "GARONNE-SAVEURS", "COMPTOIR-EMILION", "FEINKOST-MULLER",
    )  # fmt: skip
    s = sale
    rows = [
        s(2, bistrot, "Huile d'olive vierge extra – bidon 5 L", 2, "pièce", 54.9, food),
        s(2, bistrot, "Piment d'Espelette AOP – pot 50 g", 6, "pièce", 8.4, food),
        s(2, bistrot, "Bordeaux supérieur 2022 – Château Lamothe", 24, "bouteille", 11.5, std),
        s(3, hotel, "Foie gras de canard mi-cuit", 3.5, "kg", 68, food, order="HCA-2026-310"),
        s(3, hotel, "Champagne brut – carton de 6", 5, "carton", 156, std, order="HCA-2026-310"),
        s(3, hotel, "Caviar d'Aquitaine – boîte 30 g", 10, "pièce", 72, std, order="HCA-2026-310"),
        s(3, hotel, "Confitures artisanales – assortiment", 4, "carton", 38.4, food, order="HCA-2026-310"),
        s(5, traiteur, "Plateau de fromages affinés", 6, "kg", 32.5, food),
        s(5, traiteur, "Parmentier de canard (plat cuisiné)", 12, "pièce", 9.8, meal),
        s(5, traiteur, "Machine sous vide professionnelle", 1, "pièce", 389, std, discount=15),
        s(6, comptoir, "Canelés bordelais – carton de 48", 3, "carton", 42, food),
        s(6, comptoir, "Saint-Émilion grand cru 2019", 12, "bouteille", 27.9, std),
        s(9, bistrot, "Fleur de sel de l'île de Ré – 1 kg", 3, "kg", 12.6, food),
        s(9, bistrot, "Pruneaux d'Agen IGP", 5, "kg", 14.6, food),
        s(12, muller, "Canelés bordelais – carton de 48", 10, "carton", 42, 0, order="PO-DE-2026-77",
          exemption="intracom"),
        s(12, muller, "Pruneaux d'Agen IGP", 25, "kg", 14.6, 0, order="PO-DE-2026-77", exemption="intracom"),
        s(12, muller, "Piment d'Espelette AOP – pot 50 g", 40, "pièce", 8.4, 0, order="PO-DE-2026-77",
          exemption="intracom"),
        s(13, traiteur, "Pâté en croûte (plat cuisiné)", 2.75, "kg", 36, meal),
        s(13, traiteur, "Cèpes de Bordeaux séchés", 1.2, "kg", 89, food),
        s(16, hotel, "Huîtres du bassin d'Arcachon n°3", 8, "carton", 46.5, food),
        s(16, hotel, "Vin blanc Entre-deux-Mers 2023", 36, "bouteille", 8.9, std),
        s(18, comptoir, "Macarons de Saint-Émilion – boîte de 24", 15, "pièce", 16.8, food, discount=0.05),
        s(18, comptoir, "Coffret dégustation (verres et carafe)", 4, "pièce", 64, std),
        s(20, bistrot, "Magret de canard du Sud-Ouest", 4.8, "kg", 26.9, food),
        s(20, bistrot, "Cassoulet (plat cuisiné) – bocal 1,5 kg", 6, "pièce", 19.5, meal),
        s(24, traiteur, "Chocolats grands crus – ballotin 500 g", 10, "pièce", 28, food),
        s(24, traiteur, "Crémant de Bordeaux brut", 24, "bouteille", 10.9, std),
        s(26, hotel, "Thé vert bio – vrac", 2.5, "kg", 58, food),
        s(27, comptoir, "Lillet blanc", 12, "bouteille", 15.4, std),
        s(30, bistrot, "Tablier de cuisine brodé", 6, "pièce", 22, std),
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    for day, _, _, qty, _, price, rate, discount, _, _ in sheet.iter_rows(min_row=2):
        day.number_format = "DD/MM/YYYY"
        qty.number_format = "0.###"
        price.number_format = '#,##0.00 "€"'
        rate.number_format = "0.0%" if rate.value == food else "0%"
        if isinstance(discount.value, float) and discount.value < 1:
            discount.number_format = "0%"  # 0.05 shown as 5 %
        elif discount.value is not None:
            discount.number_format = '#,##0.00 "€"'  # an amount excluding VAT
    fit_columns(sheet)
    book.save(path)


def main() -> None:
    write_csv(HERE / "conseil-horizon" / "clients.csv", horizon_clients())
    write_csv(HERE / "conseil-horizon" / "ventes-2026-11.csv", horizon_sales())
    (HERE / "epicerie-lea").mkdir(exist_ok=True)
    lea_clients(HERE / "epicerie-lea" / "clients.xlsx")
    lea_sales(HERE / "epicerie-lea" / "ventes-2026-11.xlsx")
    write_csv(HERE / "conseil-horizon" / "ventes-erreurs.csv", rejected_sales())
    print(f"samples written under {HERE}")


if __name__ == "__main__":
    main()
