"""Physical constants and reference values used across moonbase, with their sources."""

#: Mean lunar radius of the LOLA datum sphere (IAU/IAG; LOLA polar products), metres.
MOON_RADIUS_M = 1_737_400.0
MOON_RADIUS_KM = MOON_RADIUS_M / 1000.0

#: Nominal solar radius, IAU 2015 Resolution B3, km.
SUN_RADIUS_KM = 695_700.0

#: Earth equatorial radius (IAU 2015 nominal), km; used for the apparent size of Earth from the Moon.
EARTH_RADIUS_KM = 6_378.1

#: Speed of light in vacuum, km/s (exact).
C_KM_S = 299_792.458

#: Seconds per day and the J2000.0 epoch as a Julian date (TDB).
DAY_S = 86_400.0
J2000_JD = 2_451_545.0

#: Sidereal rotation period of the Moon, days (used only for the tiny velocity of a surface point).
MOON_SIDEREAL_DAYS = 27.321_661

#: Mean synodic month, days (Meeus, Astronomical Algorithms, ch. 49).
SYNODIC_MONTH_DAYS = 29.530_589
