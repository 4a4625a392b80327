from residency_audit.cli import main

main()
