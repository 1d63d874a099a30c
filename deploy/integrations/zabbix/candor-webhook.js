// Zabbix webhook media type "Candor": sends problems and recoveries to Candor's generic
// alert format (POST <url>/v1/ingest/generic). Zabbix runs this script (Duktape, ES5) with
// the media type's parameters as the JSON string `value`; see README.md beside this file.
var Candor = {
    params: {},

    setParams: function (params) {
        if (typeof params !== 'object' || params === null) {
            throw 'parameters must be an object';
        }
        ['url', 'key', 'event_id', 'event_value', 'summary'].forEach(function (name) {
            if (typeof params[name] !== 'string' || params[name].trim() === '') {
                throw 'parameter "' + name + '" is missing';
            }
        });
        Candor.params = params;
        Candor.params.url = params.url.replace(/\/+$/, '');
    },

    // Zabbix leaves a macro it cannot resolve as "{MACRO.NAME}": treat that as empty.
    given: function (text) {
        if (typeof text !== 'string') {
            return '';
        }
        text = text.trim();
        return /^\{\$?[A-Z0-9._]+\}$/.test(text) ? '' : text;
    },

    alert: function () {
        var p = Candor.params;
        var alert = {
            id: 'zabbix-' + p.event_id,
            // {EVENT.VALUE}: 1 = problem, 0 = recovery (resolved).
            status: p.event_value === '0' ? 'resolved' : 'firing',
            summary: p.summary.substring(0, 500),
            severity: Candor.given(p.severity).toLowerCase().substring(0, 32),
            labels: {}
        };
        var service = Candor.given(p.service);
        var component = Candor.given(p.component);
        if (service) {
            alert.service = service;
        }
        if (component) {
            alert.component = component;
        }
        ['host', 'trigger', 'trigger_id', 'event_tags'].forEach(function (name) {
            var text = Candor.given(p[name]);
            if (text) {
                alert.labels[name] = text.substring(0, 4096);
            }
        });
        return {alerts: [alert]};
    },

    send: function (body) {
        var request = new HttpRequest();
        request.addHeader('Content-Type: application/json');
        request.addHeader('Authorization: Bearer ' + Candor.params.key);
        if (Candor.given(Candor.params.http_proxy)) {
            request.setProxy(Candor.params.http_proxy);
        }
        var response = request.post(Candor.params.url + '/v1/ingest/generic', JSON.stringify(body));
        var status = request.getStatus();
        Zabbix.log(4, '[ Candor Webhook ] answer ' + status + ': ' + response);
        if (status !== 202) {
            var detail = response;
            try {
                detail = JSON.parse(response).detail || response;
            } catch (ignored) {
                // not JSON: report the raw answer
            }
            throw 'Candor answered ' + status + ': ' + detail;
        }
        return response;
    }
};

try {
    Candor.setParams(JSON.parse(value));
    Candor.send(Candor.alert());
    return 'OK';
} catch (error) {
    Zabbix.log(3, '[ Candor Webhook ] sending failed: ' + error);
    throw 'Sending failed: ' + error;
}
