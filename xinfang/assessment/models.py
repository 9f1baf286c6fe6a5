"""Pre-aggregated statistics, indicators, rankings and bulletins (考核、通报、排名)."""
