from django.shortcuts import render

from .selectors import agreements_search


def find_my_opco(request):
    """Public: a company finds its OPCO from its collective agreement (IDCC or title)."""
    query = request.GET.get("q", "")[:100]
    results = list(agreements_search(query)) if query else []
    return render(request, "funding/find_my_opco.html", {"query": query, "results": results})
