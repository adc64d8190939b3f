"""Settings of bench/pages.py: the project as deployed, with bench/pages_urls.py in front."""

from ganapati.settings import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
