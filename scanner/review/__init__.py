"""Review: a person's decisions on findings, recorded and applied to later scans."""
