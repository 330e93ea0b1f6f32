"""What a portal harvester does with releasegate, with the real clients:
ckanapi (the CKAN action API, over POST and over GET) and pyld (the DCAT
catalogue expanded and turned into RDF by a JSON-LD processor).

Run by tests/api/harvest.rs against a live server:
    python3 tests/harvest/clients.py BASE_URL
Prints one JSON object with what it found; any failed expectation exits 1.
"""

import json
import sys
import urllib.request

import ckanapi
from pyld import jsonld

base = sys.argv[1]
report = {}

for get_only in (False, True):
    ckan = ckanapi.RemoteCKAN(base, get_only=get_only)
    names = ckan.action.package_list()
    assert len(names) == 2, names
    found = ckan.action.package_search(q="GDP", rows=10)
    assert found["count"] == 1, found
    package = ckan.action.package_show(id=found["results"][0]["name"])
    assert package["resources"], package
    resource = package["resources"][0]
    assert resource["url"].startswith(base + "/public/releases/"), resource
    assert resource["format"] == "CSV" and resource["mimetype"] == "text/csv", resource
    page = ckan.action.package_search(fq="+dataset_type:dataset organization:FGW", rows=1, start=1)
    assert page["count"] == 2 and len(page["results"]) == 1, page
    try:
        ckan.action.package_show(id="no-such-dataset")
        raise AssertionError("package_show of an unknown id succeeded")
    except ckanapi.NotFound:
        pass
    try:
        ckan.action.package_search(fq="res_format:CSV")
        raise AssertionError("an unsupported filter was accepted")
    except ckanapi.SearchQueryError:
        pass
    organizations = ckan.action.organization_list(all_fields=True)
    report["get_only" if get_only else "post"] = {
        "names": sorted(names),
        "title": package["title"],
        "license_id": package["license_id"],
        "organization": package["organization"]["title"],
        "resource_url": resource["url"],
        "hash": resource["hash"],
        "organizations": {o["name"]: o["package_count"] for o in organizations},
    }

with urllib.request.urlopen(base + "/public/catalog") as answer:
    assert answer.headers["Content-Type"].startswith("application/ld+json")
    catalog = json.load(answer)
expanded = jsonld.expand(catalog)
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
(catalog_node,) = [n for n in expanded if DCAT + "Catalog" in n.get("@type", [])]
datasets = catalog_node[DCAT + "dataset"]
withdrawn = [d for d in datasets if d.get("http://www.w3.org/ns/adms#status")]
live = [d for d in datasets if d not in withdrawn]
distributions = [x for d in live for x in d[DCAT + "distribution"]]
nquads = jsonld.to_rdf(catalog, {"format": "application/n-quads"})
report["dcat"] = {
    "datasets": len(datasets),
    "withdrawn": [d[DCT + "identifier"][0]["@value"] for d in withdrawn],
    "licenses": sorted({d[DCT + "license"][0]["@id"] for d in live}),
    "media_types": sorted({x[DCAT + "mediaType"][0]["@id"] for x in distributions}),
    "download_urls": sorted(x[DCAT + "downloadURL"][0]["@id"] for x in distributions),
    "access_rights": sorted(d[DCT + "accessRights"][0]["@id"].rsplit("/", 1)[1] for d in live),
    "triples": len(nquads.strip().splitlines()),
}
print(json.dumps(report, ensure_ascii=False))
