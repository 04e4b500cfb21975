import t from 'tap';
import {
  municipalityPrefix, normaliseCode, normaliseMunicipality, normaliseNumber, normalisePostcode, normaliseSex, postcodePrefix,
} from '../../../src/pseudonymise/normalise-codes.js';

t.test('sex codes M/F, M/V, H/F and 1/2 in any case', async (t) => {
  for (const m of ['M', 'm', 'H', '1', 'man', 'Homme']) t.equal(normaliseSex(m), '1', m);
  for (const f of ['F', 'v', 'V', '2', 'vrouw', 'Femme']) t.equal(normaliseSex(f), '2', f);
  t.equal(normaliseSex('X'), null, 'unknown codes are invalid');
  t.equal(normaliseSex(' '), '');
});

t.test('postcodes agree across prefixes and spacing; the prefix drops the last digit', async (t) => {
  t.equal(normalisePostcode('B-9000'), '9000');
  t.equal(normalisePostcode('9 000'), '9000');
  t.equal(normalisePostcode('1012 AB'), '1012ab');
  t.equal(postcodePrefix('9000'), '900');
  t.equal(postcodePrefix('812'), '81');
});

t.test('NIS codes are padded to five digits; their prefix is the arrondissement', async (t) => {
  t.equal(normaliseMunicipality('1002'), '01002');
  t.equal(municipalityPrefix('44021'), '44');
  t.equal(normaliseMunicipality('Sint-Niklaas'), 'sintniklaas');
});

t.test('codes and numbers', async (t) => {
  t.equal(normaliseCode(' N.S.W '), 'nsw');
  t.equal(normaliseNumber('1,50'), '1.5');
  t.equal(normaliseNumber('01.5'), '1.5');
  t.equal(normaliseNumber('x'), null);
  t.equal(normaliseNumber(''), '');
});
