/* ocpp.h: the small closed vocabulary handlers return, and the one place
 * where each OCPP-J CALLERROR wire string is spelled (1.6J writes
 * "OccurenceConstraintViolation" with one "r"). */
#ifndef CSMS_OCPP_H
#define CSMS_OCPP_H

enum ocpp_status {
	OCPP_OK = 0,
	OCPP_EFORMATION,  /* FormationViolation */
	OCPP_ETYPE,       /* TypeConstraintViolation */
	OCPP_EPROPERTY,   /* PropertyConstraintViolation */
	OCPP_EOCCURRENCE, /* OccurenceConstraintViolation */
	OCPP_EPROTOCOL,   /* ProtocolError */
	OCPP_ENOTIMPL,    /* NotImplemented */
	OCPP_ENOTSUPP,    /* NotSupported */
	OCPP_ESECURITY,   /* SecurityError */
	OCPP_EINTERNAL,   /* InternalError */
	OCPP_EGENERIC,    /* GenericError */
	OCPP_STATUS_COUNT
};

const char *ocpp_error_code(enum ocpp_status st); /* wire string */
int ocpp_error_from_code(const char *code);       /* -1 if not a 1.6 code */

#endif
