"""RA-TLS: TDX quotes, attestation policies, attested certificates, proof of work, and the
trio stream wrappers that put mutual, attested TLS 1.3 on a raw TCP stream."""
