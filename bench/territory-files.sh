#!/bin/sh
# Writes synthetic official territory files the size of the national ones, to time
# `communs import-territories`: regions, 101 departments and about 35,000 municipalities
# in the INSEE COG format. Usage: bench/territory-files.sh DIR [MUNICIPALITIES]
set -eu
dir=${1:?usage: $0 DIR [MUNICIPALITIES]}
total=${2:-35000}
mkdir -p "$dir"
awk -v dir="$dir" -v total="$total" 'BEGIN {
    regions = dir "/v_region.csv"; departments = dir "/v_departement.csv"
    municipalities = dir "/v_commune.csv"
    print "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE" > regions
    print "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE" > departments
    print "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT" > municipalities
    for (r = 1; r <= 13; r++) printf "%02d,,0,REGION %d,Région %d,Région %d\n", r + 10, r, r, r > regions
    n = 0
    for (d = 1; d <= 95; d++) { if (d != 20) deps[n++] = sprintf("%02d", d) }
    deps[n++] = "2A"; deps[n++] = "2B"
    for (d = 971; d <= 976; d++) if (d != 975) deps[n++] = d
    for (i = 0; i < n; i++) {
        region = (i % 13) + 11
        printf "%s,%d,,0,DEP %s,Département %s,Département %s\n", deps[i], region, deps[i], deps[i], deps[i] > departments
    }
    per = int(total / (n - 5)) + 1; written = 0
    for (i = 0; i < n && written < total; i++) {
        dep = deps[i]; width = length(dep) == 3 ? 2 : 3
        for (c = 1; c <= per && written < total; c++) {
            code = dep sprintf("%0" width "d", c)
            if (length(code) != 5) continue
            printf "COM,%s,%d,%s,,,0,COMMUNE %s,Commune %s,Commune %s,,\n", code, (i % 13) + 11, dep, code, code, code > municipalities
            written++
        }
    }
}'
wc -l "$dir"/*.csv
