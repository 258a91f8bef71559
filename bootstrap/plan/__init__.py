"""Pure planning: (HostFacts, Profile, Overrides) -> Plan. Nothing here reads the machine."""
