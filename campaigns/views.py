from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from campaigns.selectors import campaign_list_with_counts
from voicesurvey.permissions import Capability, require_capability


@require_capability(Capability.VIEW)
def campaign_list(request):
    page = Paginator(campaign_list_with_counts(), 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html", {"page": page})
