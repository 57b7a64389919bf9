from marshmallow import Schema, fields, validate

from equipbank.api.schemas import PageArgs


class CommuneSchema(Schema):
    code = fields.String(metadata={"description": "INSEE code (5 characters, 2A/2B in Corsica)"})
    name = fields.String()
    postal_codes = fields.List(fields.String(), attribute="postal_code_list")
    department = fields.String(attribute="department_code")
    department_name = fields.String()
    region = fields.String(attribute="region_code")
    region_name = fields.String()
    epci_code = fields.String(allow_none=True)
    epci_name = fields.String(allow_none=True)
    population = fields.Integer(allow_none=True)


class CommuneQuerySchema(PageArgs):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "the start of a word of the name, a postal code or an INSEE code"},
    )
    postal_code = fields.String(
        validate=validate.Regexp(r"^\d{5}$", error="Un code postal a 5 chiffres.")
    )
